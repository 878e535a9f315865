# SPDX-License-Identifier: GPL-2.0-or-later
"""check_lines.py - the PASS/FAIL lines the shell suites turn into checks
(tests/lib.sh counts them), for the Python integration scripts.

Owns: printing one line per check and counting the failures; check() and
failures() below.  Does not own what is checked.
"""
_failed = 0


def check(name, cond, detail=""):
    """Print PASS NAME or FAIL NAME: DETAIL; return cond."""
    global _failed
    if cond:
        print("PASS " + name, flush=True)
    else:
        _failed += 1
        print("FAIL %s%s" % (name, (": " + detail) if detail else ""), flush=True)
    return cond


def failures():
    return _failed
