"""The simulated platform: the exercise's posts, and the Report button that starts a request."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal import selectors as portal_selectors
from portal.forms import FeedFilterForm
from portal.views.common import reporter_view, safe_next
from reports import selectors
from reports.models import ContentItem, Jurisdiction
from reports.services import draft_add_content

PAGE_SIZE = 20


def platform_feed(request):
    account = selectors.reporter_account_for(request.user)
    exercise = selectors.exercise_for_user(request.user)
    # A reporter sees the platform from their agency's country, where its restrictions apply.
    viewer_country = account.agency.jurisdiction_id if account else None
    countries, languages = portal_selectors.feed_choices(exercise=exercise)
    filters = FeedFilterForm(request.GET or None, countries=countries, languages=languages)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    posts = portal_selectors.feed(exercise=exercise, viewer_country=viewer_country,
                                  country=chosen.get("country", ""), language=chosen.get("language", ""),
                                  persona=chosen.get("persona", ""), posted_from=chosen.get("posted_from"),
                                  posted_to=chosen.get("posted_to"))
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    draft = portal_selectors.current_draft(reporter=account) if account and account.can_file else None
    return render(request, "portal/platform.html", {
        "account": account, "filters": filters, "page": page, "draft": draft,
        "draft_items": draft.items.count() if draft else 0,
        "in_draft": portal_selectors.draft_content_codes(draft),
        "viewer_country": Jurisdiction.objects.filter(code=viewer_country).first() if viewer_country else None,
    })


@reporter_view
@require_POST
def platform_report(request):
    account = request.reporter
    code = (request.POST.get("content") or "").strip().lower()
    content = ContentItem.objects.filter(exercise=account.exercise, code=code).first()
    if content is None:
        raise Http404("No such post on the platform.")
    draft = draft_add_content(reporter=account, content=content)
    count = draft.items.count()
    messages.success(request, f"Post {content.code} is in your draft {draft.reference} "
                              f"({count} item{'s' if count != 1 else ''}).")
    back = safe_next(request, reverse("portal:platform"))
    return redirect(f"{back}#post-{content.code}" if "#" not in back else back)
