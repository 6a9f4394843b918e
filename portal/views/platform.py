"""The simulated platform: the exercise's posts, and the Report button that starts a request."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit import receipts
from filing.services import draft_add_content
from portal import selectors as portal_selectors
from portal.forms import AppealForm, FeedFilterForm
from portal.views.common import reporter_view, safe_next
from reports.errors import DomainError
from reports.forms import add_domain_errors
from reports.models import ContentItem, ExerciseRole, Jurisdiction, PlatformAccount
from reports.tenancy import exercise_for_user, membership_for, reporter_account_for
from review.selectors import country_names
from review.services import appeal_file

PAGE_SIZE = 20


def platform_feed(request):
    account = reporter_account_for(request.user)
    exercise = exercise_for_user(request.user)
    # A reporter sees the platform from their agency's country, where its restrictions apply;
    # an affected user from their own account's country.
    viewer_country = account.agency.jurisdiction_id if account else None
    own_account = _own_platform_account(request.user) if account is None else None
    if own_account is not None:
        viewer_country = own_account.country
    countries, languages = portal_selectors.feed_choices(exercise=exercise)
    names = country_names()
    filters = FeedFilterForm(request.GET or None, countries=[(code, names.get(code, code)) for code in countries],
                             languages=languages)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    posts = portal_selectors.feed(exercise=exercise, viewer_country=viewer_country,
                                  country=chosen.get("country", ""), language=chosen.get("language", ""),
                                  persona=chosen.get("persona", ""), posted_from=chosen.get("posted_from"),
                                  posted_to=chosen.get("posted_to"))
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    # Reporting needs a verified account in an exercise that is running.
    may_report = bool(account and account.can_file and exercise.is_open)
    draft = portal_selectors.current_draft(reporter=account) if may_report else None
    return render(request, "portal/platform.html", {
        "countries": names, "may_report": may_report,
        "account": account, "filters": filters, "page": page, "draft": draft,
        "draft_items": draft.items.count() if draft else 0,
        "in_draft": portal_selectors.draft_content_codes(draft),
        "viewer_country": Jurisdiction.objects.filter(code=viewer_country).first() if viewer_country else None,
        "own_account": own_account,
        "notices": portal_selectors.notices_for_author(account=own_account) if own_account else [],
    })


def _own_platform_account(user) -> PlatformAccount | None:
    """The simulated account this student speaks for, if their role in the exercise is an affected user."""
    membership = membership_for(user)
    if membership is None or membership.role != ExerciseRole.AFFECTED_USER:
        return None
    return membership.platform_account


def author_notice_view(view):
    """For the author of the post a notice is about: anyone else is refused (403), an unknown notice is a 404."""
    @login_required
    @wraps(view)
    def wrapper(request, item_id: int, **kwargs):
        own_account = _own_platform_account(request.user)
        if own_account is None:
            return render(request, "portal/forbidden.html", {"reason": "not_affected_user"}, status=403)
        notice = portal_selectors.notice_for_author(account=own_account, item_id=item_id)
        if notice is None:
            raise Http404("No notice about your posts has this number.")
        return view(request, own_account, notice, **kwargs)
    return wrapper


@author_notice_view
def platform_notice(request, own_account: PlatformAccount, notice):
    """One notice to the author of a removed or restricted post, and the form to appeal it (once)."""
    form = AppealForm(request.POST or None)
    if request.method == "POST" and notice.appeal is None and form.is_valid():
        try:
            appeal_file(user=request.user, item=notice.item, statement=form.cleaned_data["statement"])
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Your appeal is filed. A reviewer who did not make the decision will "
                                      "look at it, and you will find the answer here.")
            return redirect("portal:platform-notice", item_id=notice.item.pk)
    decisions = receipts.receipt_events(request_id=notice.item.request_id, item_position=notice.item.position)
    return render(request, "portal/notice.html", {"notice": notice, "form": form, "own_account": own_account,
                                                  "receipt_events": decisions},
                  status=400 if form.errors else 200)


@author_notice_view
def platform_notice_receipt(request, own_account: PlatformAccount, notice, event_id: int):
    """The affected user's offline receipt for the decision about their post."""
    return receipts.receipt_response(event=receipts.receipt_event(
        request_id=notice.item.request_id, event_id=event_id, item_position=notice.item.position))


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
