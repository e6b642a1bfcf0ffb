"""The hunt framework: definitions, parameters, allowlist, user hunt files, run records."""
import json
import os

from run import rank_of


def test_list_has_builtins(env):
    p = env.run("hunt", "list", "--json")
    import json
    names = {json.loads(l)["name"] for l in p.stdout.splitlines()}
    assert "long-conn" in names, names


def test_bad_param_is_user_error(env):
    store = env.attack_store("LM_psexec_smb_dcerpc_epm_svcctl.pcapng")
    p = env.run("hunt", "run", "long-conn", "--store", store, "--param", "nope=1", check=False)
    assert p.returncode == 1 and "no parameter 'nope'" in p.stderr, p.stderr
    p = env.run("hunt", "run", "long-conn", "--store", store, "--param", "half=x", check=False)
    assert p.returncode == 1 and "not a number" in p.stderr, p.stderr
    p = env.run("hunt", "run", "no-such-hunt", "--store", store, check=False)
    assert p.returncode == 1 and "no hunt named" in p.stderr, p.stderr


def test_user_query_hunt_and_allowlist(env):
    store = env.attack_store("LM_psexec_smb_dcerpc_epm_svcctl.pcapng")
    os.makedirs(os.path.join(store, "hunts"), exist_ok=True)
    with open(os.path.join(store, "hunts", "smb-admin.hunt"), "w") as f:
        f.write("name = smb-admin\nkind = query\ntitle = SMB to port 445\n"
                "hypothesis = Someone uses SMB.\nattack = T1021.002\n"
                "param.query = port.dst == 445\nparam.group = pair\n"
                "param.min_sessions = 1\nparam.half = 1\n")
    res, run = env.hunt(store, "smb-admin")
    assert rank_of(res, lambda r: r["source"]["ip"] == "172.16.66.1"
                   and r["destination"]["ip"] == "172.16.66.36") == 1, res
    assert run["hunt"]["run"]["results"] == len(res) >= 1
    env.run("hunt", "allow", "add", "--store", store, "--host", "172.16.66.0/24",
            "--reason", "lab network", "--hunt", "smb-admin")
    res, run = env.hunt(store, "smb-admin")
    assert run["hunt"]["run"]["results"] == 0 and run["hunt"]["run"]["suppressed"] >= 1, run
    assert all(r["hunt"]["suppressed"] for r in res), res
    p = env.run("hunt", "runs", "--store", store, "--json")
    assert len(p.stdout.splitlines()) >= 2


def test_time_range_and_run_record(env):
    store, _ = env.hunt_store()
    t = env.truth("beacon", threat=True)[0]
    res, run = env.hunt(store, "beacon")
    assert any(r.get("source", {}).get("ip") == t["src"] for r in res)
    # The C2 beacons on day 3 only: a range that ends before it has no such result.
    res2, run2 = env.hunt(store, "beacon", "--until", "2024-03-06T00:00:00Z")
    assert not any(r.get("source", {}).get("ip") == t["src"] and
                   r.get("destination", {}).get("ip") == t["dst"] for r in res2), res2
    cov = run2["hunt"]["run"]["coverage"]
    assert cov["days"] == 2 and cov["sessions"] < run["hunt"]["run"]["coverage"]["sessions"], cov
    assert cov["last"] < "2024-03-06T00:00:01", cov
    runs = [json.loads(l) for l in env.run("hunt", "runs", "--store", store, "--json")
            .stdout.splitlines()]
    last = [r for r in runs if r["run_id"] == run2["hunt"]["run_id"]][0]
    assert last["until"].startswith("2024-03-06T00:00:00"), last
    assert last["params"]["min_conns"] and last["coverage"]["days"] == 2, last


def test_allowlist_kinds(env):
    store, _ = env.hunt_store()
    res, _ = env.hunt(store, "beacon")
    top = [r for r in res if not r["hunt"]["suppressed"]][0]
    dom = top["url"]["domain"]
    parent = dom.split(".", 1)[1]
    cases = [("--domain", parent), ("--sni", dom), ("--sni", "*." + parent),
             ("--host", top["destination"]["ip"])]
    for flag, value in cases:
        p = env.run("hunt", "allow", "add", "--store", store, flag, value, "--reason",
                    "test " + flag, "--hunt", "beacon")
        entry = p.stdout.split(":")[0].split("#")[1]
        res2, run2 = env.hunt(store, "beacon")
        sup = [r for r in res2 if r["hunt"]["suppressed"]]
        assert any(r["url"]["domain"] == dom for r in sup), (flag, value, sup)
        assert run2["hunt"]["run"]["suppressed"] >= 1
        assert all("test " + flag in r["hunt"]["allow_reason"] for r in sup
                   if r.get("url", {}).get("domain") == dom)
        env.run("hunt", "allow", "remove", "--store", store, entry)
    # a longer label is not a subdomain: evil.com does not cover notevil.com
    env.run("hunt", "allow", "add", "--store", store, "--domain", "x" + dom, "--reason", "no")
    res3, run3 = env.hunt(store, "beacon")
    assert not any(r["hunt"]["suppressed"] and r.get("url", {}).get("domain") == dom
                   for r in res3)
    # fingerprints: rare-tls results carry one
    rt, _ = env.hunt(store, "rare-tls")
    fp = [r for r in rt if "fingerprint" in r.get("konseki", {})][0]["konseki"]["fingerprint"]
    env.run("hunt", "allow", "add", "--store", store, "--ja4", fp, "--reason", "known client")
    rt2, run4 = env.hunt(store, "rare-tls")
    assert any(r["hunt"]["suppressed"] for r in rt2) and run4["hunt"]["run"]["suppressed"] >= 1
    p = env.run("hunt", "allow", "add", "--store", store, "--host", "not-an-ip", "--reason", "x",
                check=False)
    assert p.returncode == 1
    # leave the shared store as it was for the other modules
    for line in env.run("hunt", "allow", "list", "--store", store, "--json").stdout.splitlines():
        env.run("hunt", "allow", "remove", "--store", store, str(json.loads(line)["id"]))
    assert "empty" in env.run("hunt", "allow", "list", "--store", store).stdout
