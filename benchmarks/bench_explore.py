"""Speed of one deal-explorer update, server side (no browser): the model plus the in-place FigureWidget
restyle, against rebuilding the figure from scratch each time (the plain way).

Run: .venv/bin/python benchmarks/bench_explore.py [--updates 50] [--deals status_quo toll_japan ...]
Prints, for draws = 0 (central values) and draws = 200 (p05-p95 bands), the median milliseconds of:
  - compute():                   the model alone (rekit.explore.compute -> rekit.model.simulate);
  - update in place:             compute() + update_figure() on the live FigureWidget (one batch_update);
  - full slider update:          what moving a slider does in the widget: state, model, figure, headline
                                 table and panel HTML;
  - rebuild (plain way):         compute() + a new FigureWidget built from scratch, as an
                                 `interact`-style callback that redraws would do; and the ratio to the
                                 in-place update.
Target: well under 100 ms per update.

Then, once: the structural envelope of the deals (rekit.explore.state.structural_envelope: every
production basis × demand basis × framing, computed once per deal and kept), first time and again;
and with --app, the web app (`rekit explore --serve`'s server): seconds until the server answers,
and until the first page (a kernel started, the kit imported, the explorer drawn) has arrived.
"""

from __future__ import annotations

import argparse
import statistics
import time


def median_ms(fn, n: int) -> float:
    fn()  # warm
    times = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=50, help="updates timed per figure (median reported)")
    ap.add_argument("--deals", nargs="+", default=["status_quo", "toll_japan", "partner_plant_india", "repm_scheme"])
    ap.add_argument("--app", action="store_true", help="also time the web app's start and first page")
    args = ap.parse_args()

    import plotly.graph_objects as go

    from rekit.data.dataset import load
    from rekit.model.deals import load_deals
    from rekit.explore import State, compute, explore, make_figure, update_figure

    ds = load()
    book = load_deals(ds=ds)
    names = list(book.deals)
    shares = [0.2 + 0.4 * (i % 20) / 20 for i in range(args.updates + 1)]  # a different value every update
    print(f"deal explorer, {len(args.deals)} deals ({', '.join(args.deals)}), 2024-2035, "
          f"median of {args.updates} updates (ms)")
    for draws in (0, 200):
        def state(i=0, draws=draws):
            return State(deals=tuple(args.deals), years=(2024, 2035), draws=draws,
                         overrides={"retained_share": shares[i % len(shares)]})

        live = go.FigureWidget(make_figure(book))

        def in_place(i=0, live=live):
            update_figure(live, compute(state(i), book), 2030, names)

        def rebuild(i=0):
            fig = go.FigureWidget(make_figure(book))
            update_figure(fig, compute(state(i), book), 2030, names)
            return fig

        ex = explore(args.deals, draws=draws, ds=ds, book=book)
        slider = ex.controls["retained_share"]

        def full(i=0, slider=slider):
            slider.value = shares[i % len(shares)] if slider.value != shares[i % len(shares)] else shares[(i + 1) % len(shares)]

        model = median_ms(lambda i=0: compute(state(i), book), args.updates)
        inplace = median_ms(in_place, args.updates)
        widget = median_ms(full, args.updates)
        plain = median_ms(rebuild, max(5, args.updates // 5))
        print(f"draws = {draws}:")
        print(f"  compute() (model only):           {model:8.2f}")
        print(f"  update in place (model + figure):  {inplace:8.2f}")
        print(f"  full slider update (+ panel):      {widget:8.2f}")
        print(f"  rebuild figure (plain way):        {plain:8.2f}   ratio {plain / inplace:.1f}x the in-place update")

    from rekit.explore.state import ENVELOPE_DRAWS, structural_envelope

    fresh = load_deals(ds=ds)  # a book whose envelopes are not kept yet
    t = time.perf_counter()
    structural_envelope(fresh, args.deals)
    first = time.perf_counter() - t
    t = time.perf_counter()
    structural_envelope(fresh, args.deals)
    again = (time.perf_counter() - t) * 1000
    scenarios = len(fresh.bases) * len(fresh.demands) * max(len(fresh.framings), 1)
    print(f"structural envelope, {len(args.deals)} deals x {scenarios} scenarios x {ENVELOPE_DRAWS} draws, 2024-2050: "
          f"first {first:.2f} s, kept {again:.2f} ms")

    if args.app:
        import urllib.request

        from rekit.explore.serve import AppServer

        t = time.perf_counter()
        server = AppServer(0, {"deals": args.deals})
        try:
            server.start()
            up = time.perf_counter() - t
            with urllib.request.urlopen(server.url, timeout=300) as r:
                r.read()
            page = time.perf_counter() - t
        finally:
            server.stop()
        print(f"web app: server answers after {up:.1f} s; first page (kernel, kit, explorer) after {page:.1f} s")


if __name__ == "__main__":
    main()
