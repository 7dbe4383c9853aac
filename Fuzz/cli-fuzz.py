#!/usr/bin/env python3
"""Fuzzes the nsbox command line: random combinations of its real options and values (from
`nsbox run/enter/ls/id/names --help`) plus junk, with `true`, `false` or `id -u` as the
command, for a number of seconds, as root and as uid 65534.

For every run it asserts:
  - nsbox did not die of a signal, and did not hang (20 s);
  - the exit status is 0, 1 (the command's), 125, 126 or 127;
  - with 125, 126 or 127, stderr is one line starting 'nsbox: ', or an argument-parser usage
    error starting 'Error: ' (counted apart: those are several lines, see README.md);
  - no mount is left in the host's /proc/self/mountinfo (a namespace persisted on a file in
    the scratch directory, which the options ask for, is unmounted and not counted);
  - no process is left behind (this script is a child subreaper, so orphans come to it);
  - the hostname is unchanged.

Paths are confined to a scratch directory under /tmp; --bind/--ro-bind/--tmpfs are only
given together with a new mount namespace; propagation 'shared' and 'unchanged' (which let
mounts reach the host) and named namespaces (which write /run) are never used; `rm` is not run.

    python3 cli-fuzz.py --nsbox ../.build-fuzz/release/nsbox --seconds 600
"""
import argparse
import json
import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
NOBODY = 65534
ALLOWED = {0, 1, 125, 126, 127}


def mountinfo():
    with open("/proc/self/mountinfo") as f:
        return {line.split()[0]: line for line in f}


def children_of(pid):
    """Pids whose parent is `pid`."""
    result = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            result.append(int(entry))
    return result


class Generator:
    def __init__(self, rng, scratch, runner_pid):
        self.rng = rng
        self.scratch = scratch
        self.runner_pid = runner_pid

    def pick(self, items):
        return self.rng.choice(items)

    def junk(self):
        r = self.rng.random()
        if r < 0.15:
            return ""
        if r < 0.3:
            return self.pick(["-", "--", "-x", "--bogus", "--=", "-=", "=", "---", "-Z9", "--user=", "--net=",
                              "--map-users=", "--kill-child=", "--mount-proc=", "-rpw", "-Uw", "-tp", "--help",
                              "-h", "--version", "--join", "--ns"])
        if r < 0.45:
            return self.pick(["0", "-1", "4294967295", "4294967296", "99999999999999999999", "+1", "1e3", "0x10",
                              "-0", "9223372036854775807", "-9223372036854775808", "1:2", "0:0:0", "::", "a:b:c"])
        if r < 0.55:
            return self.pick(["net\nuser", "a\rb", "é", "\u0301", "ＮＥＴ", "K\u212aLVIN", "\x7f", "tab\there",
                              "x" * self.rng.randint(100, 5000)])
        alphabet = "abcdefghijklmnopqrstuvwxyz-=:,/._0123456789 "
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(1, 12)))

    def path(self):
        return self.pick([self.scratch, f"{self.scratch}/dir", f"{self.scratch}/dir/sub", f"{self.scratch}/file",
                          f"{self.scratch}/missing", f"{self.scratch}/nsfile", "relative/dir", "", "/",
                          f"{self.scratch}/config.json"])

    def uid(self):
        return self.pick(["0", "1", "1000", "65534", "4294967294", "4294967295", "-1", "x", ""])

    def mapping(self):
        return self.pick(["0:0:1", "0:1000:1", "0:65534:1", "0:100000:65536", "1:1:1", "0 0 1", "0:0:0",
                          "0:0:4294967295", "4294967295:0:1", "0:0", "0:0:1:1", "a:b:c", "", "0::0:1",
                          "1000:1000:1", "+0:+0:+1"])

    def kind(self):
        return self.pick(["net", "mnt", "user", "pid", "uts", "ipc", "cgroup", "time", "network", "mount",
                          "CLONE_NEWNET", "NET", "bogus", ""])

    def signal(self):
        return self.pick(["KILL", "TERM", "SIGTERM", "sigkill", "9", "15", "0", "65", "-1", "HUP", "bogus", ""])

    def pid(self):
        return self.pick(["1", str(self.runner_pid), "0", "-1", "999999", "2147483647", "2147483648", "x", "self"])

    def command(self):
        r = self.rng.random()
        if r < 0.35:
            words = ["true"]
        elif r < 0.65:
            words = ["id", "-u"]
        elif r < 0.75:
            words = ["false"]
        elif r < 0.8:
            words = [f"{self.scratch}/file"]         # not executable: 126
        elif r < 0.85:
            words = ["/nonexistent/nsbox-fuzz"]      # 127
        elif r < 0.9:
            words = []                               # $SHELL, with stdin at /dev/null
        else:
            words = [self.pick(["true", "-x", "--", "id"])]
        if words and self.rng.random() < 0.7:
            words = ["--"] + words
        return words

    # nsbox run
    RUN_FLAGS = ["-U", "-m", "-p", "-n", "-u", "-i", "-C", "-T", "--user", "--mount", "--pid", "--net", "--uts",
                 "--ipc", "--cgroup", "--time", "-r", "-c", "--map-root-user", "--map-current-user", "--map-auto",
                 "-f", "--fork", "--mount-proc", "--kill-child", "--private-tmp", "--die-with-parent",
                 "--new-session", "--as-pid-1", "--sandbox", "-rpm", "-Ur", "-Upf"]

    def run_options(self, mount_ns):
        options = []
        for _ in range(self.rng.randint(0, 7)):
            r = self.rng.random()
            if r < 0.35:
                flag = self.pick(self.RUN_FLAGS)
                if flag == "--private-tmp" and not mount_ns:
                    continue
                options.append(flag)
                continue
            choice = self.rng.randint(0, 22)
            if choice == 0:
                options += [self.pick(["--map-user", "--map-group"]), self.uid()]
            elif choice == 1:
                options += [self.pick(["--map-users", "--map-groups"]), self.mapping()]
            elif choice == 2:
                options += ["--setgroups", self.pick(["allow", "deny", "Allow", "", "bogus"])]
            elif choice == 3:
                # never 'shared' or 'unchanged': mounts made inside would reach the host
                options += ["--propagation", self.pick(["private", "slave", "bogus", ""])]
            elif choice == 4:
                options.append("--kill-child=" + self.signal())
            elif choice == 5:
                if mount_ns:
                    options.append("--mount-proc=" + self.path())
            elif choice == 6:
                options += [self.pick(["-R", "--root"]), self.path()]
            elif choice == 7:
                options += ["--new-root", self.path()]
            elif choice == 8:
                options += [self.pick(["-w", "--wd"]), self.path()]
            elif choice == 9:
                options += [self.pick(["--monotonic", "--boottime"]),
                            self.pick(["0", "10", "-10", "86400", "-9223372036854775808", "9223372036854775807", "x"])]
            elif choice == 10:
                options += [self.pick(["-S", "--setuid", "-G", "--setgid"]), self.uid()]
            elif choice == 11:
                options += ["--hostname", self.pick(["box", "", "a" * 64, "a" * 65, "h\nx", "-", "x.y"])]
            elif choice == 12:
                if mount_ns:
                    options += [self.pick(["--bind", "--ro-bind"]), self.path(), self.path()]
            elif choice == 13:
                if mount_ns:
                    options += ["--tmpfs", self.path()]
            elif choice == 14:
                options += ["--join", self.pick([
                    f"{self.kind()}={self.pid()}", f"{self.kind()}=/proc/1/ns/{self.kind()}",
                    f"{self.kind()}=/proc/self/ns/{self.kind()}", f"{self.kind()}={self.path()}", self.junk()])]
            elif choice == 15:
                # --KIND=FILE keeps the namespace on a file: only in the scratch directory.
                options.append(f"--{self.pick(['net', 'uts', 'ipc', 'user', 'mount', 'pid', 'cgroup', 'time'])}="
                               f"{self.pick([self.scratch + '/nsfile', self.scratch + '/missing/nsfile', self.scratch + '/dir'])}")
            elif choice == 16:
                options += ["--json-status-fd", self.pick(["1", "2", "99", "-1", "x"])]
            elif choice == 17:
                options += ["--config", self.pick([f"{self.scratch}/config.json", f"{self.scratch}/bad.json",
                                                   f"{self.scratch}/linux.json", f"{self.scratch}/noargs.json",
                                                   f"{self.scratch}/missing.json", f"{self.scratch}/dir", ""])]
            elif choice == 18:
                options.append(self.junk())
            elif choice == 19:
                options.append("--mount-proc-at")
                options.append(self.path())
            elif choice == 20:
                options += ["--kill-child-signal", self.signal()]
            else:
                flag = self.pick(self.RUN_FLAGS)
                if flag != "--private-tmp" or mount_ns:
                    options.append(flag)
        return options

    def run_args(self):
        mount_ns = self.rng.random() < 0.5
        options = self.run_options(mount_ns)
        if mount_ns:
            options.insert(self.rng.randint(0, len(options)), self.pick(["-m", "--mount", "--sandbox"]))
        self.rng.shuffle(options) if self.rng.random() < 0.1 else None
        return ["run"] + options + self.command()

    def enter_args(self):
        options = []
        for _ in range(self.rng.randint(0, 5)):
            choice = self.rng.randint(0, 10)
            if choice == 0:
                options += [self.pick(["-t", "--target"]), self.pid()]
            elif choice in (1, 2):
                options.append(self.pick(["-a", "--all", "-U", "-m", "-p", "-n", "-u", "-i", "-C", "-T", "--user",
                                          "--net", "--preserve-credentials", "--die-with-parent"]))
            elif choice == 3:
                options += ["--ns", f"{self.kind()}=" + self.pick([f"/proc/1/ns/{self.kind()}",
                                                                    f"/proc/self/ns/{self.kind()}", self.path()])]
            elif choice == 4:
                options.append(f"--{self.pick(['net', 'uts', 'mount', 'user', 'pid'])}=/proc/1/ns/{self.kind()}")
            elif choice == 5:
                options += [self.pick(["-S", "--setuid", "-G", "--setgid"]), self.uid()]
            elif choice == 6:
                options += [self.pick(["-w", "--wd"]), self.path()]
            elif choice == 7:
                options += ["--json-status-fd", self.pick(["1", "2", "99", "x"])]
            elif choice == 8:
                options.append(self.junk())
            else:
                options += ["-t", "1", self.pick(["-a", "-n", "-u", "-U"])]
        return ["enter"] + options + self.command()

    def ls_args(self):
        options = []
        for _ in range(self.rng.randint(0, 4)):
            choice = self.rng.randint(0, 8)
            if choice == 0:
                options += [self.pick(["-t", "--type"]), self.kind()]
            elif choice == 1:
                options += [self.pick(["-p", "--task"]), self.pid()]
            elif choice == 2:
                options += [self.pick(["-o", "--output"]), self.pick([
                    "NS,TYPE", "+PATH", "ns,type,nprocs,pid,ppid,command,uid,user,nsfs,pns,ons", "", ",", "+",
                    "BOGUS", "NS,,TYPE", "+NS,PNS,ONS"])]
            elif choice == 3:
                options.append(self.pick(["--output-all", "-J", "--json", "-r", "--raw", "-l", "--list", "-n",
                                          "--noheadings", "-u", "--notruncate"]))
            elif choice == 4:
                options += [self.pick(["-T", "--tree"]), self.pick(["owner", "parent", "", "bogus"])]
            elif choice == 5:
                options.append(self.pick(["4026531840", "0", "-1", "18446744073709551616", "x"]))
            else:
                options.append(self.junk())
        return ["ls"] + options

    def id_args(self):
        options = []
        for _ in range(self.rng.randint(0, 4)):
            choice = self.rng.randint(0, 4)
            if choice == 0:
                options += [self.pick(["-t", "--target"]), self.pid()]
            elif choice == 1:
                options.append("--json")
            elif choice == 2:
                options.append(self.kind())
            else:
                options.append(self.junk())
        return ["id"] + options

    def names_args(self):
        return ["names"] + [self.pick([self.kind(), self.junk()]) for _ in range(self.rng.randint(0, 3))]

    def other_args(self):
        return self.pick([[], ["--help"], ["--version"], ["help"], ["help", "run"], ["bogus"],
                          [self.junk()], ["run", "--help"], ["enter", "--help"], ["ls", "-h"]])

    def args(self):
        r = self.rng.random()
        if r < 0.5:
            return self.run_args()
        if r < 0.7:
            return self.enter_args()
        if r < 0.8:
            return self.ls_args()
        if r < 0.88:
            return self.id_args()
        if r < 0.95:
            return self.names_args()
        return self.other_args()


def prepare_scratch(scratch):
    os.makedirs(f"{scratch}/dir/sub", exist_ok=True)
    with open(f"{scratch}/file", "w") as f:
        f.write("not a program\n")
    configs = {
        "config.json": '{"ociVersion": "1.0.2", "process": {"args": ["id", "-u"], "env": ["PATH=/usr/bin:/bin"], '
                       '"cwd": "/"}, "hostname": "box", "linux": {"namespaces": [{"type": "user"}, {"type": "uts"}, '
                       '{"type": "pid"}, {"type": "ipc"}, {"type": "network"}], '
                       '"uidMappings": [{"containerID": 0, "hostID": %d, "size": 1}], '
                       '"gidMappings": [{"containerID": 0, "hostID": %d, "size": 1}]}}',
        "linux.json": '{"namespaces": [{"type": "user"}, {"type": "uts"}, {"type": "network", "path": "/proc/self/ns/net"}]}',
        "noargs.json": '{"ociVersion": "1.0.2", "linux": {"namespaces": [{"type": "ipc"}]}}',
        "bad.json": '{"ociVersion": "1.0.2", "linux": {"namespaces": [{"type": "netw"}]}, }',
    }
    for name, text in configs.items():
        with open(f"{scratch}/{name}", "w") as f:
            f.write(text % (NOBODY, NOBODY) if "%d" in text else text)
    for root, dirs, files in os.walk(scratch):
        for entry in dirs + files:
            os.chmod(os.path.join(root, entry), 0o777 if entry in dirs else 0o666)
    os.chmod(scratch, 0o777)


def is_known(args):
    """A run of the known orphan bug: persisting (--KIND=FILE) with a new time namespace."""
    if not args or args[0] != "run":
        return False
    words = args[:args.index("--")] if "--" in args else args
    persists = any(word.startswith("--") and "=" in word and word.split("=")[0] in
                   ("--net", "--uts", "--ipc", "--user", "--mount", "--pid", "--cgroup", "--time") for word in words)
    time_ns = any(word in ("-T", "--time") or word.startswith("--time=") or
                  (word.startswith("-") and not word.startswith("--") and "T" in word) for word in words)
    return persists and time_ns


def classify_stderr(stderr):
    """'one-line', 'usage' (argument-parser, several lines) or 'bad'."""
    text = stderr.decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) == 1 and lines[0].startswith("nsbox: "):
        return "one-line"
    # --json: the failure as one JSON object, {"error": MESSAGE, "exitCode": STATUS} (README).
    if len(lines) == 1 and lines[0].startswith("{"):
        try:
            obj = json.loads(lines[0])
        except ValueError:
            return "bad"
        if isinstance(obj, dict) and set(obj) == {"error", "exitCode"} and isinstance(obj["error"], str) \
                and isinstance(obj["exitCode"], int):
            return "one-line"
        return "bad"
    if lines and lines[0].startswith("Error: "):
        return "usage" if len(lines) > 1 else "one-line-usage"
    if lines and lines[0].startswith("nsbox: ") and len(lines) > 1:
        return "multi-line-nsbox"
    return "bad"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nsbox", required=True)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--users", default=None, help="root,65534 (default: both when root, else yourself)")
    parser.add_argument("--skip-known", action="store_true",
                        help="skip the combinations of a known, reported bug: a namespace kept on a file "
                             "(--KIND=FILE) together with a new time namespace, which leaves an orphan when "
                             "keeping it fails (crashes/cli-time-persist-orphan.sh)")
    parser.add_argument("--out", default=None, help="directory for failing cases (default: crashes/ next to this script)")
    options = parser.parse_args()

    seed = options.seed if options.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    users = options.users.split(",") if options.users else (["root", str(NOBODY)] if os.geteuid() == 0 else ["self"])
    out = options.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "crashes")

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    me = os.getpid()

    base = f"/tmp/nsbox-cli-fuzz-{me}"
    os.makedirs(base)
    os.chmod(base, 0o755)
    binary = f"{base}/nsbox"
    shutil.copy(options.nsbox, binary)
    os.chmod(binary, 0o755)
    scratch = f"{base}/scratch"
    os.makedirs(scratch)
    prepare_scratch(scratch)
    generator = Generator(rng, scratch, me)

    hostname = socket.gethostname()
    environment = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SHELL": "/bin/sh",
                   "LANG": "C.UTF-8"}
    print(f"cli-fuzz: seed {seed}, users {users}, {options.seconds:.0f} s, binary {binary}, scratch {scratch}", flush=True)

    stats = {"runs": 0, "failures": 0}
    statuses = {}
    stderr_kinds = {}
    usage_examples = []
    failures = []
    per_user = options.seconds / len(users)
    for user in users:
        prefix = []
        if user not in ("root", "self"):
            prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"]
        deadline = time.monotonic() + per_user
        while time.monotonic() < deadline:
            args = generator.args()
            if options.skip_known and is_known(args):
                stats["skipped as known"] = stats.get("skipped as known", 0) + 1
                continue
            before = mountinfo()
            problems = []
            try:
                completed = subprocess.run(prefix + [binary] + args, stdin=subprocess.DEVNULL, capture_output=True,
                                           env=environment, timeout=20, start_new_session=True)
                status, stdout, stderr = completed.returncode, completed.stdout, completed.stderr
            except subprocess.TimeoutExpired as error:
                status, stdout, stderr = None, error.stdout or b"", error.stderr or b""
                problems.append("hung (20 s)")
            except ValueError as error:   # an argument holding NUL cannot be passed
                continue
            stats["runs"] += 1
            statuses[status] = statuses.get(status, 0) + 1
            if status is not None and status < 0:
                problems.append(f"nsbox died of signal {-status}")
            elif status is not None and status not in ALLOWED:
                problems.append(f"exit status {status}")
            if status in (125, 126, 127):
                kind = classify_stderr(stderr)
                stderr_kinds[kind] = stderr_kinds.get(kind, 0) + 1
                if kind == "usage" and len(usage_examples) < 5:
                    usage_examples.append((args, stderr.decode("utf-8", "replace")))
                if kind == "bad":
                    problems.append("stderr is not one 'nsbox: ' line nor an argument-parser error")
                elif kind == "multi-line-nsbox":
                    # Only acceptable when an argument itself holds a line break, echoed back.
                    if not any("\n" in word or "\r" in word for word in args):
                        problems.append("a several-line 'nsbox: ' error")
                    else:
                        stderr_kinds["multi-line-echo"] = stderr_kinds.get("multi-line-echo", 0) + 1
            # Mounts: a namespace persisted on a scratch file is what was asked for; unmount it.
            after = mountinfo()
            for mount_id, line in after.items():
                if mount_id in before:
                    continue
                target = line.split()[4]
                if not target.startswith(scratch + "/") and target != scratch:
                    # Not under our scratch directory, where every path we give points: another
                    # program's (the test suite runs concurrently on this machine). Never touched.
                    stats["foreign mounts ignored"] = stats.get("foreign mounts ignored", 0) + 1
                    continue
                subprocess.run(["umount", "-l", target], capture_output=True)
                if not any(word.startswith("--") and "=" + target in word for word in args):
                    problems.append(f"mount left behind: {line.strip()}")
            # Processes: orphans are reparented to us.
            time.sleep(0)
            leftovers = children_of(me)
            if leftovers:
                time.sleep(0.2)
                leftovers = [pid for pid in children_of(me) if os.path.exists(f"/proc/{pid}")]
            for pid in leftovers:
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
                    with open(f"/proc/{pid}/stat") as f:
                        state = f.read().split(")")[1].split()[0]
                except OSError:
                    continue
                if state != "Z":
                    problems.append(f"process left behind: {pid} {cmdline}")
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            while True:
                try:
                    pid, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
            if socket.gethostname() != hostname:
                problems.append(f"hostname changed to {socket.gethostname()!r}")
                socket.sethostname(hostname)
            if problems:
                stats["failures"] += 1
                record = {"user": user, "args": args, "status": status, "problems": problems,
                          "stderr": stderr.decode("utf-8", "replace")[-2000:]}
                failures.append(record)
                print(f"cli-fuzz: FAILURE {record!r}", flush=True)
                os.makedirs(out, exist_ok=True)
                with open(os.path.join(out, f"cli-{user}-{stats['failures']}.txt"), "w") as f:
                    f.write(repr(record) + "\n")
        print(f"cli-fuzz: user {user} done, {stats['runs']} runs so far", flush=True)

    shutil.rmtree(base, ignore_errors=True)
    print(f"cli-fuzz: exit statuses {dict(sorted(statuses.items(), key=lambda kv: str(kv[0])))}")
    print(f"cli-fuzz: stderr of 125/126/127: {stderr_kinds}")
    for args, text in usage_examples[:3]:
        print(f"cli-fuzz: usage error example: nsbox {' '.join(map(repr, args))}\n{text}")
    print(f"cli-fuzz: seed {seed}; runs {stats['runs']}")
    print(f"cli-fuzz: foreign mounts ignored {stats.get('foreign mounts ignored', 0)}; skipped as known "
          f"{stats.get('skipped as known', 0)}")
    print(f"cli-fuzz: runs {stats['runs']}, failures {stats['failures']}, crashes "
          f"{sum(1 for record in failures if any(p.startswith('nsbox died of signal') for p in record['problems']))}")
    return 1 if stats["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
