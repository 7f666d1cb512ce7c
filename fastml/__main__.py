"""The ``fastml`` command line: ``fastml bench`` (also ``python -m fastml bench``)."""

import argparse
import sys


def _bench(args):
    from fastml._bench import ProgressBar, discover_cases, format_table, plot_speedups, run_case

    cases = discover_cases(args.filter)
    if args.list:
        for c in cases:
            print(f"{c.estimator}\t{c.data}")
        return 0
    if not cases:
        print("no benchmark case matches", args.filter, file=sys.stderr)
        return 1
    bar = ProgressBar(len(cases), stream=sys.stderr)
    results = []
    for case in cases:
        results.append(run_case(case, repeat=args.repeat))
        bar.step(f"{case.estimator} on {case.data}")
    print(format_table(results, markdown=args.markdown))
    if args.plot:
        plot_speedups(results, args.plot)
        print(f"speed-up plot written to {args.plot}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fastml", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    bench = sub.add_parser(
        "bench", help="time fastml beside scikit-learn on built-in data and check parity"
    )
    bench.add_argument("--plot", metavar="FILE.png", help="draw the speed-ups to FILE.png")
    bench.add_argument("--filter", metavar="TEXT", help="only cases whose name or data contain TEXT")
    bench.add_argument("--repeat", type=int, default=None, help="timed runs per side (best is kept)")
    bench.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    bench.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.command == "bench":
        return _bench(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
