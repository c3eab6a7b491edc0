"""aws-auth edits on a large map: time per edit (goal: under 50 ms at 5,000 entries) and byte stability.

    .venv/bin/python bench/bench_awsauth_edit.py [--entries 5000] [--reps 3] [--budget 420] [--json FILE]

The map: ``--entries`` mappings, four in five in mapRoles and one in five in mapUsers, written the way
people write them (comments, blank lines, flow and block group lists, quoted and plain usernames), plus
mapAccounts and a key the authenticator ignores. Each edit of domain.awsauth_edit is timed on it, and
checked for byte stability: every byte outside the touched entry is kept, an edit followed by its inverse
gives back the original bytes, repeating an upsert changes nothing, and the other keys are untouched.
Stops measuring when ``--budget`` seconds are spent (what was measured is reported). Exit 1 when a byte
check fails; the time goal is reported, not enforced.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eksaccess.domain.awsauth import edit
from eksaccess.domain.awsauth.reader import parse_aws_auth

ACCT = "111122223333"
GOAL_MS = 50.0
HEADER = "# Managed by hand and by eksaccess. Keep the comments.\n"


def role_item(i: int) -> str:
    arn = f"arn:aws:iam::{ACCT}:role/team-{i:05d}"
    if i % 7 == 0:
        return f"# team {i} (on call)\n- rolearn: {arn}\n  username: 'team-{i:05d}:{{{{SessionName}}}}'\n  groups: [team-{i % 50}, view]\n"
    if i % 11 == 0:
        return f"- rolearn: {arn}  # legacy\n  username: team-{i:05d}\n  groups:\n    - team-{i % 50}\n\n"
    return f"- rolearn: {arn}\n  username: team-{i:05d}:{{{{SessionName}}}}\n  groups:\n    - team-{i % 50}\n    - system:authenticated-extra\n"


def user_item(i: int) -> str:
    return (
        f'- userarn: arn:aws:iam::{ACCT}:user/u{i:05d}\n  username: "u{i:05d}"\n  groups: ["dev-{i % 20}"]\n'
    )


def build(entries: int) -> tuple[dict[str, str], list[str], list[str]]:
    n_roles = entries * 4 // 5
    roles = [role_item(i) for i in range(n_roles)]
    users = [user_item(i) for i in range(entries - n_roles)]
    data = {
        "mapRoles": HEADER + "".join(roles),
        "mapUsers": "".join(users),
        "mapAccounts": f'- "{ACCT}"  # our own account\n',
        "maproles": "ignored by the authenticator\n",
    }
    return data, roles, users


class Check:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def that(self, ok: bool, what: str) -> None:
        if not ok:
            self.failures.append(what)


def timed(fn: Callable[[], dict[str, str]]) -> tuple[dict[str, str], float]:
    start = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - start) * 1000


def others_kept(before: dict[str, str], after: dict[str, str], key: str) -> bool:
    return all(after.get(k) == v for k, v in before.items() if k != key)


def run(entries: int, reps: int, budget: float) -> dict[str, Any]:
    data, roles, users = build(entries)
    middle = len(roles) // 2
    middle_arn = f"arn:aws:iam::{ACCT}:role/team-{middle:05d}"
    new_role = f"arn:aws:iam::{ACCT}:role/newcomer"
    new_user = f"arn:aws:iam::{ACCT}:user/newcomer"
    check = Check()
    deadline = time.monotonic() + budget
    times: dict[str, list[float]] = {}

    def measure(name: str, fn: Callable[[], dict[str, str]]) -> dict[str, str] | None:
        result: dict[str, str] | None = None
        for _ in range(reps):
            if time.monotonic() > deadline and name in times:
                break
            result, ms = timed(fn)
            times.setdefault(name, []).append(ms)
        return result

    added = measure(
        "upsert_role (new)", lambda: edit.upsert_role(data, new_role, username="new", groups=["g"])
    )
    if added is not None:
        check.that(added["mapRoles"].startswith(data["mapRoles"]), "upsert_role (new) changed existing bytes")
        check.that(others_kept(data, added, "mapRoles"), "upsert_role (new) changed another key")
        back = measure("remove_role", lambda: edit.remove_role(added, new_role))
        check.that(back == data, "remove_role after upsert_role did not give back the original bytes")
    same = measure(
        "upsert_role (existing, unchanged)",
        lambda: edit.upsert_role(
            data,
            middle_arn,
            username=f"team-{middle:05d}:{{{{SessionName}}}}",
            groups=[f"team-{middle % 50}", "system:authenticated-extra"],
        ),
    )
    check.that(same is None or same == data, "upsert of an unchanged mapping changed bytes")
    changed = measure(
        "upsert_role (existing, new groups)",
        lambda: edit.upsert_role(data, middle_arn, username="x", groups=["y"]),
    )
    if changed is not None:
        head = HEADER + "".join(roles[:middle])
        tail = "".join(roles[middle + 1 :])
        text = changed["mapRoles"]
        check.that(text.startswith(head), "bytes before the edited entry changed")
        check.that(text.endswith(tail), "bytes after the edited entry changed")
        mapping = parse_aws_auth(changed).match_role(middle_arn)
        check.that(
            mapping is not None and mapping.groups == ("y",), "the edited mapping is not the requested one"
        )
    removed = measure("remove_role (middle)", lambda: edit.remove_role(data, middle_arn))
    if removed is not None:
        check.that(
            removed["mapRoles"] == data["mapRoles"].replace(roles[middle], "", 1),
            "remove_role touched bytes beyond its entry",
        )
    user = measure(
        "upsert_user (new)", lambda: edit.upsert_user(data, new_user, username="n", groups=["dev"])
    )
    if user is not None:
        check.that(user["mapUsers"].startswith(data["mapUsers"]), "upsert_user changed existing bytes")
        back = measure("remove_user", lambda: edit.remove_user(user, new_user))
        check.that(back == data, "remove_user after upsert_user did not give back the original bytes")
    account = measure("add_account", lambda: edit.add_account(data, "444455556666"))
    if account is not None:
        back = measure("remove_account", lambda: edit.remove_account(account, "444455556666"))
        check.that(back == data, "remove_account after add_account did not give back the original bytes")
    rows = []
    for name, values in times.items():
        median = statistics.median(values)
        rows.append(
            {
                "edit": name,
                "runs": len(values),
                "medianMs": round(median, 1),
                "maxMs": round(max(values), 1),
                "underGoal": median < GOAL_MS,  # the median: one slow run on a shared machine is noise
            }
        )
    return {
        "entries": entries,
        "bytes": sum(len(v) for v in data.values()),
        "goalMs": GOAL_MS,
        "edits": rows,
        "byteStable": not check.failures,
        "failures": check.failures,
        "allUnderGoal": all(r["underGoal"] for r in rows),
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['entries']} mappings ({result['bytes']} bytes of aws-auth data); goal: every edit under {result['goalMs']:g} ms",
        "",
        "| edit | runs | median ms | max ms | median under 50 ms |",
        "|---|---:|---:|---:|---|",
    ]
    for r in result["edits"]:
        lines.append(
            f"| {r['edit']} | {r['runs']} | {r['medianMs']} | {r['maxMs']} | {'yes' if r['underGoal'] else 'NO'} |"
        )
    lines.append("")
    lines.append(
        "byte-stable: "
        + ("yes (every check passed)" if result["byteStable"] else "NO: " + "; ".join(result["failures"]))
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--budget", type=float, default=300.0, help="seconds; stop repeating after this")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(args.entries, args.reps, args.budget)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["byteStable"] else 1


if __name__ == "__main__":
    sys.exit(main())
