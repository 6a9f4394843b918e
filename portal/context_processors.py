"""What every page needs to know: the exercise the person works in, and whether it is open."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from reports.tenancy import NoDefaultExercise, exercise_for_user


def current_exercise(request) -> dict:
    """``current_exercise``: read only by pages that show it (the closed-exercise banner), so looked up lazily."""
    user = getattr(request, "user", None)  # absent when a crash page is drawn before authentication
    if user is None or not user.is_authenticated:
        return {"current_exercise": None}

    def lookup():
        try:
            return exercise_for_user(user)
        except NoDefaultExercise:  # before the first migrate
            return None

    return {"current_exercise": SimpleLazyObject(lookup)}
