"""The hunt framework: definitions, parameters, allowlist, user hunt files, run records."""
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
