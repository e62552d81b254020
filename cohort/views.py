"""Views: authorise through records.access, read the cohort from snapshots, export on request."""

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from cohort import tables
from cohort.charts import cohort_figures
from cohort.forms import CohortExportForm, CohortFilterForm
from cohort.selectors import LABELS, CohortFilters, cohort_page, disagreements
from cohort.services import ExportFormat, ExportLevel, cohort_export
from cohort.snapshots import VERDICT_KEYS
from pseudoresistance.selectors import clinic_psychiatrists
from records import scales
from records.access import ClinicAccess, Permission, clinic_access
from records.services import RecordPage, patient_records_opened

UNKNOWN_MODEL = "No such pair of models."


def _filter_form(request: HttpRequest, access: ClinicAccess) -> CohortFilterForm:
    return CohortFilterForm(request.GET or None, psychiatrists=clinic_psychiatrists(access=access))


def _query(filters: CohortFilters) -> str:
    query = urlencode(filters.query())
    return f"?{query}" if query else ""


@require_GET
def cohort(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_COHORT)
    form = _filter_form(request, access)
    filters = form.filters()
    page = cohort_page(access=access, filters=filters)
    query = _query(filters)
    # Each pair's link once: the chart and the table both link every pair.
    links = {
        (first, second): reverse("cohort:disagreements", args=[first, second]) + query
        for first in page.concordance.keys
        for second in page.concordance.keys
        if first != second
    }

    def link(first: str, second: str) -> str:
        return links[(first, second)]

    figures = cohort_figures(page, link)
    pairs = [
        {
            "label": page.concordance.labels[i],
            "cells": [
                {
                    "label": page.concordance.labels[j],
                    "agreement": page.concordance.agreement[i][j],
                    "disagreements": page.concordance.disagreements[i][j],
                    "url": link(a, b) if i != j else "",
                }
                for j, b in enumerate(page.concordance.keys)
            ],
        }
        for i, a in enumerate(page.concordance.keys)
    ]
    context = {
        "form": form,
        "page": page,
        "figures": figures,
        # Each distribution's chart beside its table; the chart is drawn from its index.
        "distributions": [
            (distribution, figure, tables.count_rows(distribution.counts, "No episode staged."))
            for distribution, figure in zip(
                page.distributions, figures["distributions"], strict=True
            )
        ],
        "pairs": pairs,
        "concordance_rows": tables.concordance_rows(pairs),
        "backlog_rows": tables.backlog_rows(page.cases.backlog),
        "rate_rows": tables.rate_rows(page.rates),
        "can_export": access.can(Permission.EXPORT_COHORT),
        "export_url": reverse("cohort:export") + query,
        "response_percent": scales.RESPONSE.percent,
        "item_tables": [
            (
                "Most frequent pseudo-resistance concerns",
                tables.item_rows(page.concerns),
                "concerns-table",
            ),
            ("Most frequent data gaps", tables.item_rows(page.data_gaps), "gaps-table"),
        ],
    }
    return render(request, "cohort/cohort.html", context)


@require_GET
def disagreement_list(request: HttpRequest, first: str, second: str) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_COHORT)
    if first not in VERDICT_KEYS or second not in VERDICT_KEYS or first == second:
        raise Http404(UNKNOWN_MODEL)
    form = _filter_form(request, access)
    filters = form.filters()
    rows = disagreements(access=access, filters=filters, first=first, second=second)
    patient_records_opened(
        access=access,
        patients=[row.patient for row in rows],
        page=RecordPage.COHORT_DISAGREEMENTS,
    )
    context = {
        "form": form,
        "rows": rows,
        "first": LABELS[first],
        "second": LABELS[second],
        "back_url": reverse("cohort:cohort") + _query(filters),
    }
    return render(request, "cohort/disagreement_list.html", context)


@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.EXPORT_COHORT)
    filters = _filter_form(request, access).filters()
    form = CohortExportForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        exported = cohort_export(
            acting_user=request.user,
            clinic_id=access.clinic.pk,
            filters=filters,
            file_format=ExportFormat(form.cleaned_data["file_format"]),
            level=ExportLevel(form.cleaned_data["level"]),
        )
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
    context = {
        "form": form,
        "filters": filters.description(),
        "back_url": reverse("cohort:cohort") + _query(filters),
    }
    return render(request, "cohort/cohort_export.html", context)
