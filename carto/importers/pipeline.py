"""The import pipeline, by batch: match stored sites → validate and place what changed → write.

Each batch is one transaction: a failure leaves the batches before it in place and nothing of
its own. Rows are matched to stored sites by (source, source key); an unchanged row (same content
digest) costs one indexed lookup. Changed rows go through ``reconcile``, which keeps moderators'
corrections. After a complete run, the source's sites the file no longer lists are flagged
(``Site.missing_from_source_at``), never deleted.
"""
import time
from datetime import date
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, tuple_, update
from sqlmodel import Session

from carto.directory import bulk, reserved_status, sites
from carto.directory.batch_writer import fewer_collections
from carto.directory.service import Service
from carto.storage.db import bulk_connection, session_scope
from carto.importers import geocoding, interrupted, reconcile
from carto.importers.records import ImportFileError, Skip
from carto.importers.validate import Checked
from carto.storage.models import (ImportConflict, ImportConflictStatus, ImportRun, ImportRunStatus, ImportState,
                          SiteVersion, utcnow)

SITE, STATE = bulk.SITE, ImportState.__table__
# Rows per batch (one transaction). On SQLite a batch rewrites pages all over the site table's
# indexes and the name words, so fewer, larger batches write fewer pages: a commit of 10,000 sites
# cost 2.4 times one of 2,000, not 5 times (the commits of a 250,000-row import: 18.7 → 10.3 s of
# CPU at load 4). 10,000 fits in 500 MB with the reading process since neither imports geopandas
# and the reader holds a batch of rows, not three (``prefetch``): 542 MB with a 128 MB page cache.
BATCH_SIZE = 10_000
# A site its source lists again: no longer missing, and a later absence is asked about anew.
LISTED_AGAIN = {"missing_from_source_at": None, "missing_kept_at": None}
STALE_RETRIES = 3


@dataclass
class ImportReport:
    source: str
    format: str
    unit: str  # "ligne" or "élément": how a person finds a row in the file
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    missing: int = 0  # the source's sites the file no longer lists (newly flagged)
    declared: int = 0  # reserved statuses (SIAE, EA/ESAT) the file declared anew
    verified: int = 0  # … and those it verified (a register trusted for them: ``authoritative``)
    reappeared: int = 0  # flagged sites the file lists again
    conflicts: int = 0
    run_id: int | None = None
    seconds: float = 0.0

    def skipped_by_reason(self) -> dict[str, int]:
        return dict(Counter(s.reason for s in self.skipped).most_common())


@dataclass(slots=True)
class Prepared:
    """A validated row, ready to be placed and written."""
    position: int
    key: str
    row: dict  # every site column
    activities: list[str]
    digest: str


@dataclass(slots=True)
class Stored:
    """What is stored for a key: the site's bookkeeping and its import state."""
    site_id: int
    version: int
    missing: bool
    digest: str | None
    state_version: int | None
    overrides: dict | None


@dataclass(slots=True)
class Plan:
    """How a changed row rewrites its site."""
    prepared: Prepared
    row: dict  # the site's columns after the import
    activities: list[str]
    before: dict  # the site's snapshot before
    decision: reconcile.Decision


@dataclass
class Outcome:
    """What a batch did; added to the report once its transaction has committed."""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    declared: int = 0
    verified: int = 0
    reappeared: list[int] = field(default_factory=list)  # ids of flagged sites listed again
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)


Progress = Callable[[int, int], None]  # called with the rows and the bytes read so far


class Pipeline:
    def __init__(self, service: Service, report: ImportReport, *, actor: str, batch_size: int = BATCH_SIZE):
        self.service, self.report, self.batch_size = service, report, batch_size
        self.source = report.source
        self.site_actor = f"import:{report.source}"  # history: every write of an import says so
        self.actor = actor
        self.seen: dict[str, int] = {}  # source key → position where it was first read
        self.bind = service.engine  # what the batches' sessions open on (``bulk_connection`` in ``run``)

    def run(self, items: Iterable[Checked | Skip], filename: str = "", progress: Progress | None = None,
            position: Callable[[], int] = lambda: 0) -> ImportReport:
        """Import the checked rows (``validate.check``); ``position()``: bytes of the file read."""
        started = time.perf_counter()
        if not self.report.dry_run:
            self.report.run_id = self._open_run(filename)
        try:
            with fewer_collections(), bulk_connection(self.service.engine) as self.bind:
                self._feed(items, progress and (lambda: progress(self.report.rows, position())))
                if not self.report.rows:
                    raise ImportFileError("le fichier ne contient aucune ligne à importer")
                self._flag_missing()
        except BaseException as e:
            self._close_run(ImportRunStatus.failed, str(e) or type(e).__name__)
            raise
        finally:
            self.report.seconds = time.perf_counter() - started
        self._close_run(ImportRunStatus.finished)
        return self.report

    # --- reading ---------------------------------------------------------------------------

    def _feed(self, items: Iterable[Checked | Skip], progress: Callable[[], None] | None) -> None:
        batch: list[Checked] = []
        for item in items:
            self.report.rows += 1
            first = self.seen.setdefault(item.key, item.position) if item.key else item.position
            if isinstance(item, Skip):
                self.report.skipped.append(item)
            elif first != item.position:
                self.report.skipped.append(
                    Skip(item.position, "doublon", f"« {item.key} », déjà {self.report.unit} {first}", item.key))
            else:
                batch.append(item)
            if len(batch) >= self.batch_size:
                self._process(batch)
                batch = []
                if progress:
                    progress()
        if batch:
            self._process(batch)
        if progress:
            progress()

    def _process(self, batch: list[Checked]) -> None:
        for attempt in range(STALE_RETRIES):
            outcome = Outcome()
            try:
                with session_scope(self.bind) as session:
                    self._write_batch(session, batch, outcome)
                break
            except bulk.StaleSite:  # a moderator saved a site of this batch meanwhile: read again
                if attempt == STALE_RETRIES - 1:
                    raise
        report = self.report
        report.created, report.updated = report.created + outcome.created, report.updated + outcome.updated
        report.unchanged, report.conflicts = report.unchanged + outcome.unchanged, report.conflicts + outcome.conflicts
        report.reappeared += len(outcome.reappeared)
        report.declared, report.verified = report.declared + outcome.declared, report.verified + outcome.verified
        report.skipped.extend(outcome.skipped)
        report.warnings.extend(outcome.warnings)

    def _write_batch(self, session: Session, batch: list[Checked], outcome: Outcome) -> None:
        self.service.observe(session)  # the batch places its sites in the geography it sees
        stored = self._stored(session, [c.key for c in batch])
        todo = []
        for checked in batch:
            known = stored.get(checked.key)
            if known and known.digest == checked.digest:  # the source says the same as last time
                outcome.unchanged += 1
                if known.missing:
                    outcome.reappeared.append(known.site_id)
            else:
                todo.append(checked)
        placed = self._prepare(todo, outcome)
        new = [p for p in placed if p.key not in stored]
        changed = [p for p in placed if p.key in stored]
        outcome.created = len(new)
        outcome.reappeared += [stored[p.key].site_id for p in changed if stored[p.key].missing]
        plans = self._plan_updates(session, changed, stored, outcome)
        for before, after in [(None, p.row) for p in new] + [(p.before, p.row) for p in plans]:
            statuses = reserved_status.counts(before, after)
            outcome.declared += statuses[reserved_status.State.declared]
            outcome.verified += statuses[reserved_status.State.verified]
        if self.report.dry_run:
            return
        # In the batch's transaction: a heartbeat means a whole batch more is written.
        session.execute(update(ImportRun.__table__).where(ImportRun.__table__.c.id == self.report.run_id)
                        .values(heartbeat_at=utcnow()))
        self._insert(session, new)
        self._update(session, plans)
        # Flagged sites listed again and unchanged (the changed ones were unflagged by their update).
        bulk.set_values(session, [i for i in outcome.reappeared if i not in {p.row["id"] for p in plans}],
                        LISTED_AGAIN, actor=self.site_actor, action="import")

    def _prepare(self, todo: list[Checked], outcome: Outcome) -> list[Prepared]:
        """Validate and place new or changed rows; the others become skipped rows."""
        geocoding.place([c.record for c in todo if c.result is None], self.service.geocoder, self.service.locator)
        prepared = []
        for checked in todo:
            result = checked.validated()
            if isinstance(result, Skip):
                outcome.skipped.append(result)
                continue
            fields, warnings = result
            outcome.warnings.extend((checked.position, w) for w in warnings)
            fields = dict(fields)  # a result read ahead is reused if the batch is read again
            activities = fields.pop("activities")
            row = bulk.new_row(fields, **checked.record.extra, source=self.source, source_key=checked.key)
            self._stamp(row, None)
            prepared.append(Prepared(checked.position, checked.key, row, activities, checked.digest))
        placed = []
        for p, error in zip(prepared, bulk.place([p.row for p in prepared], self.service.locator)):
            if error is None:
                placed.append(p)
            elif error.field == "lon":
                outcome.skipped.append(Skip(p.position, "territoire", f"le point ({p.row['lon']:.5f}, "
                                            f"{p.row['lat']:.5f}) n'est dans aucune commune chargée", p.key))
            else:
                outcome.skipped.append(Skip(p.position, "position", str(error), p.key))
        return placed

    def _stamp(self, row: dict, stored: dict | None) -> None:
        """Who verified the statuses this register proves, and when: this import, today, unless the
        site holds the same proof already (then its first verification stands)."""
        for column in reserved_status.COLUMNS:
            row[column] = reserved_status.stamped(row[column], stored and stored[column],
                                                  verified_by=self.site_actor, verified_at=date.today())

    def _stored(self, session: Session, keys: list[str]) -> dict[str, Stored]:
        query = (select(SITE.c.source_key, SITE.c.id, SITE.c.version, SITE.c.missing_from_source_at,
                        STATE.c.content_hash, STATE.c.site_version, STATE.c.overrides)
                 .select_from(SITE.outerjoin(STATE, STATE.c.site_id == SITE.c.id))
                 .where(SITE.c.source == self.source, SITE.c.source_key.in_(keys)))
        return {key: Stored(site_id, version, missing is not None, digest, state_version, overrides)
                for key, site_id, version, missing, digest, state_version, overrides in session.execute(query)}

    def _insert(self, session: Session, new: list[Prepared]) -> None:
        ids = bulk.insert_sites(session, [p.row for p in new], [p.activities for p in new], actor=self.site_actor)
        if ids:
            bulk.insert_rows(session, STATE, [
                {"site_id": i, "content_hash": p.digest, "site_version": 1, "overrides": {}, "run_id": self.report.run_id}
                for i, p in zip(ids, new)])

    def _plan_updates(self, session: Session, changed: list[Prepared], stored: dict[str, Stored],
                      outcome: Outcome) -> list[Plan]:
        """For each changed row, what to write: the source's values but where a moderator corrected."""
        if not changed:
            return []
        ids = [stored[p.key].site_id for p in changed]
        found, links = bulk.read(session, ids)
        rows = {row["id"]: row for row in found}
        activities = {row["id"]: acts for row, acts in zip(found, links)}
        earlier = self._import_snapshots(session, [stored[p.key] for p in changed], rows)
        plans = []
        for p in changed:
            s = stored[p.key]
            # Listed again, if it was not: a later absence is asked about anew.
            row = rows[s.site_id] | LISTED_AGAIN
            self._stamp(p.row, row)
            current = sites.snapshot_of(row, activities[s.site_id])
            decision = reconcile.decide(current, reconcile.baseline(current, earlier.get(s.site_id), s.overrides),
                                        sites.snapshot_of(p.row, p.activities))
            stored_before = sites.snapshot_of(rows[s.site_id], activities[s.site_id])  # the flag's change recorded
            plan = Plan(p, dict(row), activities[s.site_id], stored_before, decision)
            for key in decision.apply:
                if key == "activities":
                    plan.activities = p.activities
                else:
                    plan.row[key] = p.row[key]
            if "lon" in decision.apply:  # the commune and its territories follow the point
                plan.row.update({k: p.row[k] for k in reconcile.TERRITORY})
            written = bool(bulk.changes(current, plan.row, plan.activities))
            outcome.updated += written
            outcome.unchanged += not written
            outcome.conflicts += len(decision.conflicts)
            plans.append(plan)
        return plans

    def _import_snapshots(self, session: Session, stored: list[Stored], rows: dict[int, dict]) -> dict[int, dict]:
        """Snapshots the last import left, for sites written since (by a moderator)."""
        wanted = [(s.site_id, s.state_version) for s in stored
                  if s.state_version is not None and s.state_version != rows[s.site_id]["version"]]
        if not wanted:
            return {}
        query = select(SiteVersion.site_id, SiteVersion.snapshot).where(
            tuple_(SiteVersion.site_id, SiteVersion.version).in_(wanted))
        return dict(session.execute(query).all())

    def _update(self, session: Session, plans: list[Plan]) -> None:
        if not plans:
            return
        bulk.rewrite_sites(session, [p.row for p in plans], [p.activities for p in plans], [p.before for p in plans],
                           actor=self.site_actor, action="import")
        session.execute(STATE.delete().where(STATE.c.site_id.in_([p.row["id"] for p in plans])))
        bulk.insert_rows(session, STATE, [
            {"site_id": p.row["id"], "content_hash": p.prepared.digest, "site_version": p.row["version"],
             "overrides": p.decision.overrides, "run_id": self.report.run_id}
            for p in plans])
        conflicts = [(p.row["id"], group, now, new) for p in plans for group, now, new in p.decision.conflicts]
        if conflicts:
            self._record_conflicts(session, conflicts)

    def _record_conflicts(self, session: Session, conflicts: list[tuple]) -> None:
        table = ImportConflict.__table__
        for site_id, group, _, _ in conflicts:  # a newer incoming value replaces an open question
            session.execute(update(table).where(table.c.site_id == site_id, table.c.field == group,
                                                table.c.status == ImportConflictStatus.open)
                            .values(status=ImportConflictStatus.superseded, resolved_at=utcnow()))
        session.execute(table.insert(), [
            {"site_id": site_id, "run_id": self.report.run_id, "source": self.source, "field": group,
             "current": now, "incoming": new, "status": ImportConflictStatus.open, "created_at": utcnow()}
            for site_id, group, now, new in conflicts])

    # --- after the file ---------------------------------------------------------------------

    def _flag_missing(self) -> None:
        """Sites of this source the complete file no longer lists: flagged for moderators."""
        with session_scope(self.bind) as session:
            # The source's keys are read from its unique index alone, and the flag only of the sites
            # the file no longer lists: reading every site's row for its flag read the whole table
            # (250,000 rows of ~2 kB: 1.3 s of an import's CPU on SQLite).
            listed = session.execute(select(SITE.c.id, SITE.c.source_key).where(SITE.c.source == self.source))
            gone = self._not_flagged(session, [site_id for site_id, key in listed if key not in self.seen])
            self.report.missing = len(gone)
            if self.report.dry_run or not gone:
                return
            bulk.set_values(session, gone, {"missing_from_source_at": utcnow()}, actor=self.site_actor,
                            action="import")

    @staticmethod
    def _not_flagged(session: Session, ids: list[int]) -> list[int]:
        """Those of ``ids`` not flagged missing yet."""
        return [site_id for start in range(0, len(ids), bulk.READ_CHUNK)
                for site_id in session.execute(select(SITE.c.id).where(
                    SITE.c.id.in_(ids[start:start + bulk.READ_CHUNK]), SITE.c.missing_from_source_at.is_(None))).scalars()]

    def _open_run(self, filename: str) -> int:
        with session_scope(self.service.engine) as session:
            interrupted.close_stale(session, self.source)
            run = ImportRun(source=self.source, format=self.report.format, filename=filename, actor=self.actor,
                            heartbeat_at=utcnow())
            session.add(run)
            session.flush()
            return run.id

    def _close_run(self, status: ImportRunStatus, error: str | None = None) -> None:
        if self.report.run_id is None:
            return
        report = self.report
        with session_scope(self.service.engine) as session:
            run = session.get(ImportRun, report.run_id)
            run.status, run.error, run.finished_at = status, error, utcnow()
            run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
            run.skipped, run.missing, run.conflicts = len(report.skipped), report.missing, report.conflicts
            run.skipped_by_reason = report.skipped_by_reason()
            session.add(run)
