#!/usr/bin/env python3
"""Hunt tests: each tests/hunt/t_*.py module's test_* functions get an Env.

  tests/hunt/run.py BUILD_DIR [-k SUBSTRING]

Env gives the generator's hunt scenario ingested into a store (built once per run, with its
hunt truth), stores of the real attack captures of ../shared/attacks (skipped, and said so,
when absent), and helpers that run `konseki hunt run NAME --json` and return its results.
Ends with the runner's "N passed, N failed, N skipped" line.
"""
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
def _shared(name):
    """../shared/NAME next to the repository, or next to the main checkout of a worktree."""
    env = os.environ.get("KONSEKI_SHARED")
    cands = [os.path.join(env, name)] if env else []
    cands.append(os.path.join(ROOT, "..", "shared", name))
    try:
        common = subprocess.run(["git", "-C", ROOT, "rev-parse", "--git-common-dir"],
                                capture_output=True, text=True).stdout.strip()
        if common:
            cands.append(os.path.join(ROOT, common, "..", "..", "shared", name))
    except OSError:
        pass
    for c in cands:
        if os.path.isdir(c):
            return os.path.abspath(c)
    return os.path.abspath(cands[0])


ATTACKS = _shared("attacks")


class Skip(Exception):
    pass


class Env:
    def __init__(self, build, tmp):
        self.build = os.path.abspath(build)
        self.konseki = os.path.join(self.build, "konseki")
        # the generator is always the plain build's (sanitizers would only slow it down)
        self.gen = os.path.join(ROOT, "build", "konseki-gen")
        self.tmp = tmp
        self._hunt = None
        self._attack = {}

    def run(self, *args, check=True, stdin=None):
        p = subprocess.run([self.konseki, *args], capture_output=True, text=True, input=stdin)
        if check and p.returncode != 0:
            raise AssertionError("konseki %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                              p.stderr.strip()))
        return p

    def hunt_store(self):
        """The generator's hunt scenario, ingested: (store dir, truth list)."""
        if self._hunt is None:
            d = os.path.join(self.tmp, "hunt")
            os.makedirs(d, exist_ok=True)
            pcap = os.path.join(d, "hunt.pcap")
            truth = os.path.join(d, "hunt.truth")
            p = subprocess.run([self.gen, "--scenario", "hunt", "--seed", "1", "-o", pcap,
                                "--hunt-truth", truth], capture_output=True, text=True)
            if p.returncode != 0:
                self._hunt = ("", "generator has no hunt scenario: " + p.stderr.strip()[:200])
            else:
                store = os.path.join(d, "store")
                self.run("ingest", "--store", store, pcap)
                with open(truth) as f:
                    t = [json.loads(line) for line in f if line.strip()]
                self._hunt = (store, t)
        if not self._hunt[0]:
            raise Skip(self._hunt[1])
        return self._hunt

    def attack_store(self, *files):
        """A store of real attack captures (names under ../shared/attacks, any subfolder)."""
        key = tuple(files)
        if key not in self._attack:
            paths = []
            for name in files:
                hits = glob.glob(os.path.join(ATTACKS, "**", name), recursive=True)
                if not hits:
                    raise Skip("%s not present under %s" % (name, ATTACKS))
                paths.append(hits[0])
            store = os.path.join(self.tmp, "attack-%d" % len(self._attack))
            self.run("ingest", "--store", store, *paths)
            self._attack[key] = store
        return self._attack[key]

    def hunt(self, store, name, *args):
        """Run a hunt; returns (results, run) as parsed from --json (results ranked)."""
        p = self.run("hunt", "run", name, "--store", store, "--json", *args)
        lines = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        run = [x for x in lines if "run" in x.get("hunt", {})]
        res = [x for x in lines if "run" not in x.get("hunt", {})]
        assert len(run) == 1, "one run record expected, got %d" % len(run)
        return res, run[0]

    def truth(self, hunt, threat=None):
        _, t = self.hunt_store()
        return [x for x in t if x["hunt"] == hunt and (threat is None or x["threat"] == threat)]


def rank_of(results, pred):
    """1-based rank of the first unsuppressed result satisfying pred, or None."""
    for r in results:
        if r["hunt"].get("suppressed"):
            continue
        if pred(r):
            return r["hunt"]["rank"]
    return None


def entity(r):
    """Every entity string of a result, for matching against truth."""
    out = []
    for k in ("source", "destination"):
        if k in r:
            out.append(r[k]["ip"])
    if "url" in r:
        out.append(r["url"]["domain"])
    for k in ("fingerprint", "detail"):
        if k in r.get("konseki", {}):
            out.append(r["konseki"][k])
    return out


def main():
    # Test modules `from run import …`: make that this module, not a second copy of it.
    sys.modules.setdefault("run", sys.modules[__name__])
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    build = sys.argv[1]
    filt = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "-k" else ""
    tmp = tempfile.mkdtemp(prefix="konseki-hunt.")
    env = Env(build, tmp)
    passed = failed = skipped = 0
    try:
        for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "t_*.py"))):
            name = os.path.basename(path)[:-3]
            spec = importlib.util.spec_from_file_location(name, path)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            spec.loader.exec_module(mod)
            for fn in sorted(k for k in dir(mod) if k.startswith("test_")):
                full = "%s.%s" % (name, fn)
                if filt and filt not in full:
                    continue
                try:
                    getattr(mod, fn)(env)
                    print("ok   %s" % full)
                    passed += 1
                except Skip as e:
                    print("skip %s: %s" % (full, e))
                    skipped += 1
                except Exception:
                    print("FAIL %s" % full)
                    traceback.print_exc()
                    failed += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("hunt: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
