"""Fill the transparency counts kept on request rows (review/tallies.py) for the requests already on record.

One UPDATE with correlated counts, written to run on PostgreSQL and SQLite alike;
``manage.py figures_check`` recounts the same way.
"""

from django.db import migrations

FILL = """
UPDATE reports_takedownrequest SET
    item_count = (SELECT COUNT(*) FROM reports_requestitem item WHERE item.request_id = reports_takedownrequest.id),
    tally_round = review_round,
    items_removed = (SELECT COUNT(*) FROM review_decision d WHERE d.request_id = reports_takedownrequest.id
                     AND d.round = reports_takedownrequest.review_round AND d.action = 'remove_globally'),
    items_restricted = (SELECT COUNT(*) FROM review_decision d WHERE d.request_id = reports_takedownrequest.id
                        AND d.round = reports_takedownrequest.review_round AND d.action = 'restrict_in_jurisdiction'),
    items_no_action = (SELECT COUNT(*) FROM review_decision d WHERE d.request_id = reports_takedownrequest.id
                       AND d.round = reports_takedownrequest.review_round AND d.action = 'no_action')
"""


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0006_request_tallies"),
        ("review", "0003_platform_staff_without_audit_events"),
    ]

    operations = [migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop)]
