#!/usr/bin/env bash
# Property-based tests of the REST API against its own OpenAPI schema (schemathesis 4).
#
# Starts `manage.py runserver` on a free loopback port against a fresh SQLite
# database in a temporary directory, seeds a company, a staff user with an API
# token, a workflow/survey/group and a few webhooks, then runs schemathesis on
# every operation of /api/schema/ with the checks `not_a_server_error` and
# `response_schema_conformance`. Exits non-zero on any failure; the server and
# the temporary directory are removed however the script ends.
#
# Nothing is sent outside this machine: the seeded webhooks point at a loopback
# port nobody listens on, "send test" is only ever called on one of them, and no
# qcluster runs, so queued (re)deliveries are never attempted.
#
# Environment: MAX_EXAMPLES (default 50 per operation), SEED (random by default),
# WORKERS (default 1), REPORT_DIR (write JUnit and HAR reports there), PYTHON, SCHEMATHESIS.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
SCHEMATHESIS=${SCHEMATHESIS:-$ROOT/.venv/bin/schemathesis}
MAX_EXAMPLES=${MAX_EXAMPLES:-50}
# One worker thread: with two, Hypothesis parses lambda sources (ast.parse) in both threads at
# once, which Python 3.11.7 can fail with "SystemError: AST constructor recursion depth mismatch"
# (a CPython bug) on a loaded machine.
WORKERS=${WORKERS:-1}
EXTRA_ARGS=()
if [[ -n "${SEED:-}" ]]; then EXTRA_ARGS+=(--seed "$SEED"); fi
if [[ -n "${REPORT_DIR:-}" ]]; then EXTRA_ARGS+=(--report junit,har --report-dir "$REPORT_DIR"); fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/schemathesis.XXXXXX")
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

export APP_ENV=development DEBUG=false ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL="sqlite:///$WORK/db.sqlite3"
export WEBHOOK_ALLOW_PRIVATE_NETWORKS=true WEBHOOK_DEMO_RECEIVER=false
export WEBHOOK_CONNECT_TIMEOUT=1 WEBHOOK_TIMEOUT=2 LOG_LEVEL=WARNING

PORT=$(free_port)
DEAD_PORT=$(free_port)  # nothing listens here: sends fail fast with "connection refused"

echo "== migrating a fresh SQLite database in $WORK"
"$PYTHON" manage.py migrate --noinput -v 0

echo "== seeding a company, a staff user and webhooks"
"$PYTHON" manage.py shell -v 0 -c "
import json
from events.models import Company, Group, Survey, User, Workflow
from webhooks.models import Delivery, Event, Trigger, Webhook

url = 'http://127.0.0.1:$DEAD_PORT/'
company = Company.objects.create(name='Schemathesis Co')
User.objects.create_user('api@schemathesis.test', 'unused-password-1', company=company, is_staff=True)
workflow = Workflow.objects.create(company=company, name='Work Orders', code='work_orders')
survey = Survey.objects.create(company=company, name='Create Notification', code='create_notification')
group = Group.objects.create(company=company, name_code='notifications', name_display='Notifications')
probe_edit = Webhook.objects.create(company=company, name='Edited', code='edited', url=url,
                                    trigger=Trigger.TASK, workflow=workflow)
probe_test = Webhook.objects.create(company=company, name='Tested', code='tested', url=url, trigger=Trigger.USER)
probe_logs = Webhook.objects.create(company=company, name='Logged', code='logged', url=url,
                                    trigger=Trigger.SURVEY, survey=survey, group=group)
event = Event.objects.create(company=company, type='COTSurvey', action='create',
                             body=json.dumps({'company': company.pk, 'type': 'COTSurvey', 'event': 'create'}))
log = Delivery.objects.create(company=company, webhook=probe_logs, event=event, state=Delivery.State.FAILED,
                              attempts=3, response='connection refused')
ids = {'edit': probe_edit.pk, 'test': probe_test.pk, 'logs': probe_logs.pk, 'log': log.object_id,
       'workflow': workflow.pk, 'survey': survey.pk, 'group': group.pk}
open('$WORK/ids.json', 'w').write(json.dumps(ids))
"
TOKEN=$("$PYTHON" manage.py issue_api_token --email api@schemathesis.test 2>/dev/null)
read -r EDIT_ID TEST_ID LOGS_ID LOG_ID WORKFLOW_ID SURVEY_ID GROUP_ID < <("$PYTHON" -c "
import json; ids = json.load(open('$WORK/ids.json'))
print(*(ids[key] for key in ('edit', 'test', 'logs', 'log', 'workflow', 'survey', 'group')))")

# Path ids are pinned to the seeded webhooks so operations reach real rows
# instead of 404s; "send test" only ever targets its own loopback webhook.
# Request bodies mostly draw context ids and URLs from the seeded rows, so that
# creates and updates get past validation and reach the database.
cat >"$WORK/schemathesis.toml" <<TOML
[dictionaries.workflows]
values = ["$WORKFLOW_ID"]
[dictionaries.surveys]
values = ["$SURVEY_ID"]
[dictionaries.groups]
values = ["$GROUP_ID"]
[dictionaries.urls]
values = ["http://127.0.0.1:$DEAD_PORT/", "http://localhost:$DEAD_PORT/hook?x=1"]

[parameters]
"body.url" = { dictionary = "urls", probability = 0.7 }
"body.context.taskGroup" = { dictionary = "workflows", probability = 0.8 }
"body.context.survey" = { dictionary = "surveys", probability = 0.8 }
"body.context.group" = { dictionary = "groups", probability = 0.8 }

[[operations]]
include-operation-id = "subscription_send_test"
parameters = { "path.id" = "$TEST_ID" }

[[operations]]
include-path-regex = "^/api/v3/webhook/subscription/logs/"
parameters = { "path.id" = "$LOGS_ID", "path.log_id" = "$LOG_ID" }

[[operations]]
include-path-regex = "^/api/v3/webhook/subscription/[{]id[}]"
exclude-operation-id = "subscription_send_test"
parameters = { "path.id" = "$EDIT_ID" }
TOML

echo "== starting the server on 127.0.0.1:$PORT"
"$PYTHON" manage.py runserver "127.0.0.1:$PORT" --noreload >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

BASE="http://127.0.0.1:$PORT"
COMMON=(
    --url "$BASE"
    --header "Authorization: Bearer $TOKEN"
    --checks not_a_server_error,response_schema_conformance
    --max-examples "$MAX_EXAMPLES"
    --workers "$WORKERS"
    --wait-for-schema 30
    --request-timeout 10
    --no-color
    "${EXTRA_ARGS[@]}"
)
status=0
echo "== schemathesis: every operation but 'send test', all phases"
# Run from the temporary directory: schemathesis and hypothesis keep caches in the working directory.
(cd "$WORK" && "$SCHEMATHESIS" --config-file "$WORK/schemathesis.toml" run "$BASE/api/schema/?format=json" \
    "${COMMON[@]}" --exclude-operation-id subscription_send_test) || status=$?
echo "== schemathesis: 'send test' (pinned to a loopback webhook), no stateful links"
(cd "$WORK" && "$SCHEMATHESIS" --config-file "$WORK/schemathesis.toml" run "$BASE/api/schema/?format=json" \
    "${COMMON[@]}" --include-operation-id subscription_send_test --phases examples,coverage,fuzzing) || status=$?

echo "== responses by status code (from the server log)"
grep -oE '"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE) [^ ]+ HTTP/1.1" [0-9]{3}' "$WORK/server.log" \
    | awk '{print $NF}' | sort | uniq -c || true
if grep -q "Traceback" "$WORK/server.log"; then
    echo "== the server logged a traceback:" >&2
    cat "$WORK/server.log" >&2
    status=1
fi
if [[ $status -ne 0 ]]; then
    echo "== FAILED (exit $status)" >&2
else
    echo "== passed"
fi
exit $status
