"""Big files are read, mapped and validated in a second process while this one writes."""
import pytest

from carto.importers import ImportFileError
from carto.storage.models import ImportRun, ImportRunStatus
from tests.helpers import CAP, POULBENN, activities, count, import_lvao, sample_rows, site, write_lvao


def test_reading_ahead_imports_exactly_what_reading_in_line_does(service):
    report = import_lvao(service, read_ahead=True)
    assert (report.created, [(s.position, s.reason) for s in report.skipped]) == (7, [(6, "activite")])
    with service.session() as session:
        assert activities(session, CAP) == ["recyclage", "reemploi", "textile", "velo"]
        assert site(session, POULBENN).commune_code == "56046"
    again = import_lvao(service, read_ahead=False)
    assert (again.created, again.unchanged) == (0, 7)


def test_a_file_unreadable_further_down_keeps_the_batches_before_it(service, tmp_path):
    rows = sample_rows()
    path = write_lvao(tmp_path / "cut.csv", rows)
    path.write_bytes(path.read_bytes() + b"\xff\xfe broken line\n")
    with pytest.raises(ImportFileError, match="pas du texte UTF-8"):
        import_lvao(service, path, read_ahead=True, batch_size=2)
    with service.session() as session:
        assert count(session, "site") >= 2  # the batches decoded before the fault (text is read by chunks)
        assert count(session, "siteversion") == count(session, "site")
        run = session.get(ImportRun, 1)
        assert run.status == ImportRunStatus.failed
