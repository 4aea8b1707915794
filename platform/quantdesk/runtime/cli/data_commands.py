"""``quantdesk data ...``: the catalog from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from quantdesk.runtime.cli.options import parse_mapping


def _settings():
    from quantdesk.config import load_settings

    return load_settings()


def _catalog():
    from quantdesk.runtime import open_catalog

    return open_catalog(_settings())


@click.group()
def data() -> None:
    """Market data: list, show, import and validate bars in the catalog."""


@data.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the series as JSON.")
def list_(as_json: bool) -> None:
    """List every series in the catalog: symbol, timeframe, rows, date range, calendar and source."""
    series = _catalog().series()
    if as_json:
        rows = [
            {
                "symbol": s.symbol,
                "timeframe": s.timeframe,
                "rows": s.rows,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "calendar": s.meta.calendar,
                "asset_class": s.meta.asset_class,
                "source": s.meta.source,
                "synthetic": s.meta.synthetic,
                "adjusted_prices": s.has_adjusted,
            }
            for s in series
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    from quantdesk.runtime.cli.render import series_table

    series_table(series)


@data.command()
@click.argument("symbol")
@click.option("--timeframe", "-t", default=None, help="1m, 5m, 15m, 1h, 1d, 1w ... (default: the finest stored).")
@click.option("--start", default=None, help="First bar label to show (YYYY-MM-DD or ISO 8601, UTC).")
@click.option("--end", default=None, help="Last bar label to show.")
@click.option("--adjusted/--raw", "adjusted", default=False, help="Split/dividend-adjusted or raw prices.")
@click.option("--rows", "-n", default=10, show_default=True, help="Rows shown from each end.")
def show(symbol: str, timeframe: str | None, start: str | None, end: str | None, adjusted: bool, rows: int) -> None:
    """Show the bars of SYMBOL (raw prices unless --adjusted)."""
    from quantdesk.runtime.cli.render import bars_table

    catalog = _catalog()
    if timeframe is None:
        stored = [s for s in catalog.series() if s.symbol == symbol.upper()]
        timeframe = stored[0].timeframe if stored else "1d"
    info = next((s for s in catalog.series() if s.symbol == symbol.upper()), None)
    adjustment = "adjusted" if adjusted else "raw"
    bars = catalog.read(symbol, timeframe, start, end, adjustment=adjustment)
    if bars.empty:
        from quantdesk.data.errors import DataError

        raise DataError(f"no {symbol.upper()} bars between {start or 'the start'} and {end or 'the end'}")
    bars_table(bars, rows=rows, source=info.meta.source if info else "")


def _read_options(func):
    options = [
        click.option("--timeframe", "-t", default=None, help="Bar timeframe (inferred from the spacing if omitted)."),
        click.option(
            "--column",
            "-c",
            "columns",
            multiple=True,
            metavar="FIELD=COLUMN",
            help="Map a file column to a field (ts, open, high, low, close, volume, adj_close, symbol).",
        ),
        click.option("--tz", default="UTC", show_default=True, help="Time zone of timestamps written without one."),
        click.option(
            "--calendar",
            default="XNYS",
            show_default=True,
            help="Calendar for session and gap checks: XNYS (or another exchange code), FX (24x5), 24/7.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _report(result_report, quarantine_path: Path | None, calendar: str) -> None:
    for line in result_report.summary_lines():
        click.echo(f"  {line}")
    if quarantine_path is not None:
        click.echo(f"  quarantine report: {quarantine_path}")
    if calendar and result_report.counts.get("outside_session"):
        click.echo(f"  (checked against the {calendar} calendar; pass --calendar if this market trades at other times)")


@data.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--symbol",
    "-s",
    required=True,
    help="Symbol to store the bars under (and to pick from a multi-symbol file).",
)
@_read_options
def import_(file: Path, symbol: str, timeframe: str | None, columns: tuple[str, ...], tz: str, calendar: str) -> None:
    """Import bars for one symbol from a CSV or Parquet FILE into the catalog.

    Bad rows are quarantined with a reason per row; good rows are stored (once, however often the file is
    imported). Exits 1 when the file had defects, 0 when it was clean.
    """
    from quantdesk.data.ingest import ingest_file

    settings = _settings()
    catalog = _catalog()
    result = ingest_file(
        catalog,
        file,
        symbol=symbol,
        quarantine_dir=settings.quarantine_dir,
        timeframe=timeframe,
        mapping=parse_mapping(columns),
        tz=tz,
        calendar=calendar,
    )
    stored = result.write
    if stored is None:
        click.echo(f"{result.symbol} {result.timeframe}: no valid bars in {file}; nothing stored")
    else:
        what = (
            "already stored, nothing changed" if stored.unchanged else f"{stored.added} new, {stored.replaced} replaced"
        )
        valid = len(result.report.clean)
        click.echo(f"{result.symbol} {result.timeframe}: {valid} valid bars ({what}); {stored.total} stored")
    if not result.ok:
        _report(result.report, result.quarantine_path, result.calendar)
        sys.exit(1)


@data.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--symbol", "-s", default=None, help="Symbol to check in a multi-symbol file.")
@_read_options
def validate(
    file: Path, symbol: str | None, timeframe: str | None, columns: tuple[str, ...], tz: str, calendar: str
) -> None:
    """Check a CSV or Parquet FILE without importing it.

    Exit 0 when clean; exit 1 with one line per kind of defect, its count, and the quarantine report's path.
    """
    from quantdesk.data.ingest import check_file

    checked = check_file(
        file,
        quarantine_dir=_settings().quarantine_dir,
        symbol=symbol,
        timeframe=timeframe,
        mapping=parse_mapping(columns),
        tz=tz,
        calendar=calendar,
    )
    report, tf = checked.report, checked.timeframe
    label = (symbol or "").upper() or file.name
    if report.ok:
        click.echo(f"{file}: {report.rows_in} bars ({tf}), no defects")
        return
    click.echo(f"{label}: {report.rows_in} rows ({tf}), {len(report.quarantine)} quarantined")
    _report(report, checked.quarantine_path, calendar)
    sys.exit(1)


@data.command()
@click.option("--force", is_flag=True, help="Re-import the bundled files even if the catalog has them.")
def tour(force: bool) -> None:
    """Import the bundled real data into the catalog and show what it holds (the default `make up` job)."""
    from quantdesk.data.bundle import ensure_bundled
    from quantdesk.data.catalog import Catalog
    from quantdesk.runtime.cli.render import series_table

    settings = _settings()
    catalog = Catalog(settings.catalog_dir)
    click.echo(f"QuantDesk data tour: catalog at {settings.catalog_dir}")
    results = ensure_bundled(catalog, settings.bundle_dir, settings.quarantine_dir, force=force)
    for result in results:
        stored = result.write
        click.echo(f"imported {result.symbol} {result.timeframe}: {stored.total if stored else 0} bars")
        if not result.ok:
            _report(result.report, result.quarantine_path, result.calendar)
    if not results:
        click.echo("bundled data already in the catalog (use --force to re-import)")
    series_table(catalog.series())
    msft = catalog.read("MSFT", "1d", "2003-02-10", "2003-02-21", adjustment="raw")
    adj = catalog.read("MSFT", "1d", "2003-02-10", "2003-02-21", adjustment="adjusted")
    click.echo("\nRaw vs adjusted: MSFT around its 2:1 split of 2003-02-18 (close)")
    for ts in msft.index:
        click.echo(f"  {ts.date()}  raw {msft.at[ts, 'close']:8.2f}   adjusted {adj.at[ts, 'close']:8.4f}")
    weekly = catalog.read("AAPL", "1w", "2012-01-01", "2012-02-01", adjustment="adjusted")
    click.echo(f"\nResampled on read: {len(weekly)} weekly AAPL bars in January 2012 (from daily)")
    click.echo("Next: quantdesk data show AAPL --adjusted   |   quantdesk data --help")


@data.command()
@click.option("--symbol", "-s", default="SYNTH", show_default=True, help="Symbol to store under (must contain SYNTH).")
@click.option("--bars", "-n", "count", default=100_000, show_default=True, help="Number of bars.")
@click.option("--timeframe", "-t", default="1m", show_default=True, help="Bar timeframe.")
@click.option("--start", default="2024-01-02 14:30", show_default=True, help="First bar label (UTC).")
@click.option("--seed", default=0, show_default=True, help="Random seed: the same seed gives the same bars.")
def synth(symbol: str, count: int, timeframe: str, start: str, seed: int) -> None:
    """Generate seeded synthetic bars (a 24/7 random walk) into the catalog, labelled SYNTHETIC everywhere."""
    from quantdesk.data.catalog import SeriesMeta
    from quantdesk.data.synthetic import synthetic_bars
    from quantdesk.model import Timeframe

    tf = Timeframe.parse(timeframe)
    bars = synthetic_bars(count, freq=tf.pandas_freq, start=start, seed=seed, symbol=symbol.upper())
    meta = SeriesMeta(calendar="24/7", asset_class="synthetic", source=f"synthetic seed={seed}", synthetic=True)
    stored = _catalog().write(symbol, tf, bars, meta)
    label = f"SYNTHETIC {symbol.upper()} {tf}"
    click.echo(f"{label}: {count:,} bars generated ({stored.added:,} new); {stored.total:,} stored")
