"""Run the GitHub action's scan step the way a runner does, and lint it.

    action_harness.py lint ACTION.yml GITLAB.yml...
        action.yml: well-formed YAML, a composite action whose run: steps
        all name a shell and never expand ${{ inputs.* }} (inputs reach
        shell through env: only), every remote action pinned by a full
        commit SHA, every input kebab-case.  The GitLab templates:
        well-formed YAML whose jobs have a script.

    action_harness.py gitlab TEMPLATE.yml JOB REPO WORKDIR [VAR=value...]
        Run one job of a GitLab template as a runner's shell executor
        would: the template's variables, then the job's (extends
        resolved), the given ones, before_script and script in one bash
        with errexit; exits with the job's status.

    action_harness.py run ACTION.yml REPO WORKDIR OUTDIR MG_BIN [input=value...]
        Build the scan step's env: mapping from action.yml (inputs given
        here, else their defaults), point GITHUB_OUTPUT and
        GITHUB_STEP_SUMMARY at files in OUTDIR, run the step's script with
        bash in WORKDIR, then read its standard output as the runner does
        (v2 "::cmd props::data" commands at the start of a line, legacy
        "##[cmd props]data" commands anywhere in a line, stop-commands)
        and write OUTDIR/{stdout,rc,commands.json}.

    action_harness.py k8s-pod JOB.yaml REPORTS CODE [INDEX]
        Run the container script of a Kubernetes Job as its pod would
        (JOB_COMPLETION_INDEX=INDEX, default 0, and the Job's env), with
        /reports mapped to REPORTS and a modelgate that only exits with
        CODE; exits with the pod's status.  A podFailurePolicy rule with
        action Ignore is refused: it restarts the pod.
"""
import json
import os
import re
import subprocess
import sys

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


def fail(msg):
    print("action_harness: " + msg, file=sys.stderr)
    sys.exit(1)


def lint(action_file, gitlab_files):
    with open(action_file, encoding="utf-8") as f:
        a = yaml.safe_load(f)
    if not isinstance(a, dict) or a.get("runs", {}).get("using") != "composite":
        fail("%s: not a composite action" % action_file)
    for name in a.get("inputs", {}):
        if not re.match(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", name):
            fail("input %r is not kebab-case" % name)
        if "description" not in a["inputs"][name]:
            fail("input %r has no description" % name)
    for i, step in enumerate(a["runs"]["steps"]):
        if "run" in step:
            if "shell" not in step:
                fail("step %d: run without shell" % i)
            if re.search(r"\$\{\{[^}]*\binputs\.", step["run"]):
                fail("step %d: ${{ inputs.* }} inside run:" % i)
            if EXPR.search(step["run"]):
                fail("step %d: an expression inside run:" % i)
        elif "uses" in step:
            if not step["uses"].startswith("./") and not SHA.match(step["uses"]):
                fail("step %d: %s is not pinned by commit SHA" % (i, step["uses"]))
        else:
            fail("step %d: neither run nor uses" % i)
    for out in a.get("outputs", {}).values():
        if "value" not in out:
            fail("an output without value")
    for g in gitlab_files:
        with open(g, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        if not isinstance(doc, dict):
            fail("%s: not a mapping" % g)
        jobs = [k for k, v in doc.items() if isinstance(v, dict) and
                ("script" in v or "extends" in v)]
        if not jobs:
            fail("%s: no job" % g)
        for k in jobs:
            job = doc[k]
            if "script" in job and not isinstance(job["script"], (list, str)):
                fail("%s: job %s: script is not a list" % (g, k))


def expand(value, inputs, defaults, ctx):
    def one(m):
        e = m.group(1)
        if e.startswith("inputs."):
            k = e[len("inputs."):]
            return inputs.get(k, defaults.get(k, ""))
        if e in ctx:
            return ctx[e]
        fail("cannot evaluate ${{ %s }}" % e)
    return EXPR.sub(one, str(value))


def runner_commands(text):
    """The commands a runner would obey in this output."""
    cmds = []
    stop = None
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        t = line.lstrip()
        if stop is not None:
            if t == "::%s::" % stop:
                cmds.append({"cmd": "resume-commands", "props": {}, "data": ""})
                stop = None
            continue
        parsed = None
        if t.startswith("::"):
            end = t.find("::", 2)
            if end > 2:
                info, data = t[2:end], t[end + 2:]
                name, _, props = info.partition(" ")
                pd = {}
                for p in props.split(",") if props else []:
                    k, eq, v = p.partition("=")
                    if eq:
                        pd[k] = v
                parsed = {"cmd": name, "props": pd, "data": data}
        if parsed is None and "##[" in line:
            i = line.index("##[")
            j = line.find("]", i)
            if j > 0:
                info = line[i + 3:j]
                name, _, props = info.partition(" ")
                parsed = {"cmd": name, "props": {}, "data": line[j + 1:],
                          "legacy": True}
        if parsed is None:
            continue
        if parsed["cmd"] == "stop-commands":
            stop = parsed["data"]
        cmds.append(parsed)
    return cmds


def run(action_file, repo, workdir, outdir, mg_bin, pairs):
    with open(action_file, encoding="utf-8") as f:
        a = yaml.safe_load(f)
    defaults = {k: str(v.get("default", "")) for k, v in a["inputs"].items()}
    inputs = {}
    for p in pairs:
        k, _, v = p.partition("=")
        if k not in defaults:
            fail("unknown input %s" % k)
        inputs[k] = v.replace("\\n", "\n")
    step = [s for s in a["runs"]["steps"] if s.get("id") == "scan"][0]
    ctx = {
        "github.action_path": repo,
        "steps.key.outputs.bin-dir": os.path.dirname(mg_bin),
    }
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("HOME", "/tmp"),
           "SOURCE_DATE_EPOCH": "1700000000",
           "NO_COLOR": "1",
           "RUNNER_TEMP": outdir,
           "GITHUB_ACTIONS": "true",
           "GITHUB_RUN_ID": "4242",
           "GITHUB_OUTPUT": os.path.join(outdir, "github_output"),
           "GITHUB_STEP_SUMMARY": os.path.join(outdir, "step_summary.md")}
    for k, v in step.get("env", {}).items():
        env[k] = expand(v, inputs, defaults, ctx)
    for f in ("github_output", "step_summary.md"):
        open(os.path.join(outdir, f), "w").close()
    p = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workdir,
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode("utf-8", "replace")
    with open(os.path.join(outdir, "stdout"), "w", encoding="utf-8") as f:
        f.write(out)
    with open(os.path.join(outdir, "stderr"), "wb") as f:
        f.write(p.stderr)
    with open(os.path.join(outdir, "rc"), "w") as f:
        f.write("%d\n" % p.returncode)
    with open(os.path.join(outdir, "commands.json"), "w") as f:
        json.dump(runner_commands(out), f, indent=1)


def resolve(doc, name):
    job = dict(doc[name])
    parents = job.pop("extends", [])
    if isinstance(parents, str):
        parents = [parents]
    merged = {}
    for p in parents:
        for k, v in resolve(doc, p).items():
            if k == "variables" and k in merged:
                merged[k] = dict(merged[k], **v)
            else:
                merged[k] = v
    for k, v in job.items():
        if k == "variables" and k in merged:
            merged[k] = dict(merged[k], **v)
        else:
            merged[k] = v
    return merged


def gitlab(template, name, repo, workdir, pairs):
    with open(template, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    job = resolve(doc, name)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("HOME", "/tmp"),
           "SOURCE_DATE_EPOCH": "1700000000", "NO_COLOR": "1",
           "CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": repo}
    env.update({k: str(v) for k, v in doc.get("variables", {}).items()})
    env.update({k: str(v) for k, v in job.get("variables", {}).items()})
    for p in pairs:
        k, _, v = p.partition("=")
        env[k] = v

    def lines(key):
        v = job.get(key, [])
        return [v] if isinstance(v, str) else v
    script = "\n".join(lines("before_script") + lines("script"))
    p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script],
                       cwd=workdir, env=env)
    sys.exit(p.returncode)


def k8s_pod(job_file, reports, code, index):
    import tempfile
    with open(job_file, encoding="utf-8") as f:
        job = yaml.safe_load(f)
    for rule in job["spec"].get("podFailurePolicy", {}).get("rules", []):
        if rule.get("action") == "Ignore":
            fail("%s: an Ignore rule restarts the pod forever" % job_file)
    c = job["spec"]["template"]["spec"]["containers"][0]
    if c.get("command") != ["/bin/sh", "-c"]:
        fail("%s: the container is not a /bin/sh -c script" % job_file)
    script = c["args"][0].replace("/reports", reports)
    fake = tempfile.mkdtemp()
    with open(os.path.join(fake, "modelgate"), "w") as f:
        f.write("#!/bin/sh\nexit %d\n" % int(code))
    os.chmod(os.path.join(fake, "modelgate"), 0o755)
    env = {"PATH": fake + ":" + os.environ.get("PATH", "/usr/bin:/bin"),
           "JOB_COMPLETION_INDEX": str(index)}
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = str(e["value"])
    p = subprocess.run(["/bin/sh", "-c", script], cwd=reports, env=env)
    sys.exit(p.returncode)


def main(argv):
    if len(argv) >= 2 and argv[0] == "lint":
        lint(argv[1], argv[2:])
    elif len(argv) >= 5 and argv[0] == "gitlab":
        gitlab(argv[1], argv[2], argv[3], argv[4], argv[5:])
    elif len(argv) in (4, 5) and argv[0] == "k8s-pod":
        k8s_pod(argv[1], argv[2], argv[3], argv[4] if len(argv) == 5 else 0)
    elif len(argv) >= 6 and argv[0] == "run":
        run(argv[1], argv[2], argv[3], argv[4], argv[5], argv[6:])
    else:
        fail("usage: action_harness.py lint|run ...")


if __name__ == "__main__":
    main(sys.argv[1:])
