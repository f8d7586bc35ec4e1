"""Validate packages: descriptor syntax, frictionless, and our house rules, across packages."""

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.domain import Issue, Severity
from opendata_sozial.ingest.area_rules import check_areas, is_area_package
from opendata_sozial.ingest.data_rules import KeySets, check_data, unused_footnotes
from opendata_sozial.ingest.formula_rules import check_formulas
from opendata_sozial.ingest.geometry_rules import check_geometry
from opendata_sozial.ingest.metadata_rules import check_metadata
from opendata_sozial.ingest.package import (
    DescriptorError,
    PackageSource,
    descriptor_issue,
    find_packages,
    read_package,
)
from opendata_sozial.ingest.regions import check_region_keys
from opendata_sozial.ingest.resource_rules import (
    check_file,
    check_schema,
    is_geometry,
    resource_file,
)
from opendata_sozial.ingest.row_proof import RowProof, prove_rows
from opendata_sozial.ingest.standard import check_standard
from opendata_sozial.model.dataset import AREA_KEY, AREA_RESOURCE


@dataclass(frozen=True, slots=True)
class PackageResult:
    """The outcome for one package."""

    name: str
    folder: Path
    issues: list[Issue] = field(default_factory=list)
    source: PackageSource | None = None

    @property
    def is_valid(self) -> bool:
        """True when no issue is an error."""
        return not any(issue.severity is Severity.ERROR for issue in self.issues)


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Results for every package that was checked."""

    packages: list[PackageResult]

    @property
    def is_valid(self) -> bool:
        """True when every package is valid."""
        return all(result.is_valid for result in self.packages)

    def errors(self) -> list[Issue]:
        """All error issues, in package order."""
        return [i for r in self.packages for i in r.issues if i.severity is Severity.ERROR]


def validate_paths(
    paths: Iterable[Path],
    catalog: CatalogInfo,
    *,
    reference_dirs: Sequence[Path] = (),
    prove_rows_from: int | None = None,
) -> ValidationReport:
    """Validate every package under ``paths``.

    Foreign keys may point into packages under ``reference_dirs`` (usually ``datapackages/``)
    as well as into the packages being validated.

    ``prove_rows_from`` (bytes; ``publish`` sets it, ``validate`` does not) lets a package with
    a resource file at least that large skip the row-by-row checks when ``row_proof`` proves
    its rows valid column by column. Where the proof is unsure, the full checks run, so the
    report names every problem exactly as without it; only row warnings (unused footnotes
    aside) are not repeated.
    """
    sources: list[PackageSource] = []
    results: list[PackageResult] = []
    seen: set[Path] = set()
    for folder in find_packages(paths):
        if folder.resolve() in seen:
            continue  # the same folder named twice is one package, not a duplicate name
        seen.add(folder.resolve())
        try:
            sources.append(read_package(folder))
        except DescriptorError as exc:
            results.append(PackageResult(name=exc.issue.package, folder=folder, issues=[exc.issue]))
    known = _reference_packages(sources, reference_dirs)
    key_sets = _key_sets(known)
    duplicates = _duplicate_names(sources)
    for pkg in sources:
        issues = _validate_one(pkg, catalog, key_sets, known, prove_rows_from)
        if pkg.name in duplicates:
            message = f"Paketname {pkg.name!r} kommt in {duplicates[pkg.name]} Paketen vor"
            hint = "jedem Paket einen eigenen Namen geben"
            issues.insert(0, descriptor_issue(pkg, "name", message, hint, "duplicate-package-name"))
        results.append(PackageResult(name=pkg.name, folder=pkg.folder, issues=issues, source=pkg))
    return ValidationReport(packages=results)


PROOF_SAMPLE_ROWS = 1_000
"""Rows frictionless still reads of a proven table (descriptor, labels and a sample of cells)."""
_UNREADABLE = frozenset(
    {"unsafe-path", "file-missing", "resource-path-missing", "file-empty", "row-too-wide"}
)
"""File issues after which frictionless and the data rules would only repeat the problem."""


def _validate_one(
    pkg: PackageSource,
    catalog: CatalogInfo,
    key_sets: KeySets,
    known: dict[str, PackageSource],
    prove_rows_from: int | None,
) -> list[Issue]:
    issues = check_metadata(pkg, catalog)
    resources = pkg.resources()
    if not resources:
        message, hint = "das Paket hat keine Ressourcen", "mindestens eine CSV-Ressource angeben"
        issues.append(descriptor_issue(pkg, "resources", message, hint, "resources-missing"))
    issues.extend(_foreign_targets(pkg, known))
    file_ok = True
    for res in resources:
        file_issues = list(check_file(pkg, res))
        file_ok = file_ok and not any(i.code in _UNREADABLE for i in file_issues)
        issues.extend(file_issues)
        issues.extend(check_schema(pkg, res))
    if not file_ok:
        return issues  # frictionless and the data rules need every file in place
    issues.extend(check_region_keys(pkg, known))
    issues.extend(check_areas(pkg, known))
    for res in [r for r in resources if is_geometry(r)]:
        if (file := resource_file(pkg, res)) is not None:
            issues.extend(check_geometry(pkg, res, file, key_sets))
    resources = [r for r in resources if not is_geometry(r)]  # the tables
    proven = _proven_rows(pkg, resources, key_sets, prove_rows_from)
    if proven is not None:
        issues.extend(check_standard(pkg, limit_rows=PROOF_SAMPLE_ROWS))
        for res, proof in proven:
            issues.extend(unused_footnotes(pkg, res, proof.used_markers))
        return issues
    issues.extend(check_standard(pkg))
    for res in resources:
        file = resource_file(pkg, res)
        if file is not None:
            issues.extend(check_data(pkg, res, file, key_sets))
            issues.extend(check_formulas(pkg, res, file))
    return issues


def _proven_rows(
    pkg: PackageSource,
    resources: list[dict[str, Any]],
    key_sets: KeySets,
    prove_rows_from: int | None,
) -> list[tuple[dict[str, Any], RowProof]] | None:
    """A proof for every resource of a package with a large file, or ``None`` (check fully)."""
    files = [(res, resource_file(pkg, res)) for res in resources]
    if (
        not files
        or prove_rows_from is None
        or not any(file is not None and file.stat().st_size >= prove_rows_from for _, file in files)
    ):
        return None
    proven = []
    for res, file in files:
        proof = prove_rows(pkg, res, file, key_sets) if file is not None else None
        if proof is None:
            return None
        proven.append((res, proof))
    return proven


def _foreign_targets(pkg: PackageSource, known: dict[str, PackageSource]) -> list[Issue]:
    issues = []
    for fk in pkg.foreign_keys():
        ref = fk["reference"]
        target = known.get(str(ref.get("package")))
        names = {str(r.get("name")) for r in target.resources()} if target else set()
        if str(ref.get("resource")) not in names:
            message = f"Fremdschlüssel verweist auf {ref.get('package')!r}/{ref.get('resource')!r}, das nicht vorhanden ist"
            hint = "Referenzpaket (z. B. nrw-regionen) mitveröffentlichen oder Verweis korrigieren"
            code = "foreign-package-missing"
            issues.append(descriptor_issue(pkg, "x_foreign_keys", message, hint, code))
    return issues


def _reference_packages(
    sources: list[PackageSource], reference_dirs: Sequence[Path]
) -> dict[str, PackageSource]:
    known: dict[str, PackageSource] = {}
    for folder in find_packages(d for d in reference_dirs if d.is_dir()):
        try:
            pkg = read_package(folder)
        except DescriptorError:
            continue
        known[pkg.name] = pkg
    known.update({pkg.name: pkg for pkg in sources})
    return known


def _key_sets(known: dict[str, PackageSource]) -> dict[tuple[str, str, str], frozenset[str]]:
    """Collect the values of every column that a foreign key points at."""
    wanted = {
        (str(fk["reference"].get("package")), str(fk["reference"].get("resource")), str(field_name))
        for pkg in known.values()
        for fk in pkg.foreign_keys()
        for field_name in fk["reference"]["fields"]
    }
    sets: dict[tuple[str, str, str], frozenset[str]] = {}
    for package, resource, column in wanted:
        target = known.get(package)
        res = (
            next((r for r in target.resources() if r.get("name") == resource), None)
            if target
            else None
        )
        file = resource_file(target, res) if target and res else None
        if file is not None and file.is_file():
            sets[(package, resource, column)] = _column_values(file, column)
    for (package, resource, column), values in list(sets.items()):
        if target_areas := _official_keys(known, package, resource, column):
            sets[(package, resource, column)] = values | target_areas
    return sets


def _official_keys(
    known: dict[str, PackageSource], package: str, resource: str, column: str
) -> frozenset[str]:
    """For a key onto own areas: the official keys too (a table holds the Gemeinde's totals)."""
    target = known.get(package)
    if (
        target is None
        or not is_area_package(target)
        or (resource, column) != (AREA_RESOURCE, AREA_KEY)
    ):
        return frozenset()
    regions = known.get("nrw-regionen")
    res = (
        next((r for r in regions.resources() if r.get("name") == "regionen"), None)
        if regions
        else None
    )
    file = resource_file(regions, res) if regions and res else None
    return _column_values(file, "ags") if file is not None and file.is_file() else frozenset()


def _column_values(file: Path, column: str) -> frozenset[str]:
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            return frozenset(row.get(column, "") for row in csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return frozenset()


def _duplicate_names(sources: list[PackageSource]) -> dict[str, int]:
    names = [pkg.name for pkg in sources]
    return {name: names.count(name) for name in set(names) if names.count(name) > 1}
