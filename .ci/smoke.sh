#!/usr/bin/env bash
# Production smoke test: the real production processes, end to end.
#
#   gunicorn (APP_ENV=production, DEBUG off, whitenoise static files)
#   + two `manage.py qcluster` processes sharing a fresh PostgreSQL database and Redis
#   + a loopback receiver.
#
# It migrates and collects static files, creates a company, a staff user, an API token and a
# workflow, creates a webhook through the REST API, creates $TASKS tasks through the ORM, and
# checks that the receiver got every one, in creation order, signed (standardwebhooks), with one
# log line per attempt and no secret in any log. /healthz must answer 200 while the clusters run
# and 503 once they are stopped and HEALTH_HEARTBEAT_MAX_AGE has passed.
#
# Starts PostgreSQL and Redis if they are down. Everything it starts is stopped, and the database
# (smoke_<random>) and the Redis keys of its cluster are dropped, however it ends.
# Exits non-zero on any failure; prints "PASS" and timings on success.
#
# Environment: PYTHON, GUNICORN (default: .venv/bin/...), TASKS (default 100),
# PGHOST/PGPORT/PGUSER (default 127.0.0.1/5432/postgres), REDIS_HOST/REDIS_PORT (127.0.0.1/6379),
# KEEP_WORK=1 keeps the work directory (logs) for inspection.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
GUNICORN=${GUNICORN:-$(dirname "$PYTHON")/gunicorn}
TASKS=${TASKS:-100}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
HEARTBEAT_MAX_AGE=5

T0=$(date +%s.%N)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smoke.XXXXXX")
RAND=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(4))')
DB="smoke_$RAND"
CLUSTER="smoke_$RAND"
DB_CREATED=""
PIDS=()

log() { printf '%s [smoke %6.1fs] %s\n' "$(date -u +%H:%M:%S)" "$(elapsed)" "$*"; }
elapsed() { "$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$T0" "$(date +%s.%N)"; }
fail() {
    log "FAIL: $*"
    if [[ -s "$WORK/healthz.json" ]]; then echo "last /healthz body: $(cat "$WORK/healthz.json")"; fi
    for f in "$WORK"/*.log; do
        [[ -f "$f" ]] || continue
        echo "----- last lines of $(basename "$f")"
        tail -n 25 "$f"
    done
    exit 1
}

stop_group() {  # stop_group PID...: SIGTERM each leader, SIGKILL what is left of its group after 15 s
    local pid
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 150); do
        local alive=""
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [[ -n "$alive" ]] || break
        sleep 0.1
    done
    for pid in "$@"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

cleanup() {
    local status=$?
    set +e
    ((${#PIDS[@]} == 0)) || stop_group "${PIDS[@]}"
    if [[ -n "$DB_CREATED" ]]; then
        dropdb --if-exists --force "$DB" 2>/dev/null || dropdb --if-exists "$DB"
    fi
    redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "*$CLUSTER*" 2>/dev/null |
        xargs -r redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" del >/dev/null 2>&1
    if [[ "${KEEP_WORK:-}" == 1 ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() {  # start NAME CMD...: run in its own process group, output to $WORK/NAME.log
    local name=$1
    shift
    setsid "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=("$!")
    eval "PID_${name//-/_}=$!"
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local timeout=$1 what=$2
    shift 2
    local deadline=$(($(date +%s) + timeout))
    until "$@" >/dev/null 2>&1; do
        (($(date +%s) < deadline)) || fail "timed out after ${timeout}s waiting for $what"
        sleep 0.2
    done
}

healthz_status() { curl -s -o "$WORK/healthz.json" -w '%{http_code}' "$BASE/healthz" || true; }
healthz_is() { [[ "$(healthz_status)" == "$1" ]]; }

# --- services ---------------------------------------------------------------------------------
if ! pg_isready -h "$PGHOST" -p "$PGPORT" -q; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
    wait_for 30 "PostgreSQL" pg_isready -h "$PGHOST" -p "$PGPORT" -q
fi
if ! redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    log "starting Redis"
    redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" --appendonly no
    wait_for 30 "Redis" redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping
fi

# --- production environment -------------------------------------------------------------------
export APP_ENV=production DEBUG=false
SECRET_KEY=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
WEBHOOK_ENCRYPTION_KEYS=$("$PYTHON" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
export WEBHOOK_ENCRYPTION_KEYS
export ALLOWED_HOSTS=127.0.0.1
export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
export REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/0" Q_CLUSTER_NAME="$CLUSTER" Q_WORKERS=2
export WEBHOOK_ALLOW_PRIVATE_NETWORKS=true  # the receiver is on loopback
export HEALTH_HEARTBEAT_MAX_AGE=$HEARTBEAT_MAX_AGE STATIC_ROOT="$WORK/static" LOG_LEVEL=INFO
export WEBHOOK_DEMO_RECEIVER=false

createdb "$DB"
DB_CREATED=1
log "database $DB created; cluster name $CLUSTER; work directory $WORK"

"$PYTHON" manage.py check --deploy --fail-level WARNING >"$WORK/check.log" 2>&1 || fail "check --deploy"
"$PYTHON" manage.py migrate --noinput >"$WORK/migrate.log" 2>&1 || fail "migrate"
"$PYTHON" manage.py collectstatic --noinput >"$WORK/collectstatic.log" 2>&1 || fail "collectstatic"
T_SETUP=$(elapsed)
log "migrated and collected static files"

WORKFLOW=$("$PYTHON" manage.py shell -v 0 -c "
from events.models import Company, User, Workflow
company = Company.objects.create(name='Smoke Co')
User.objects.create_user('smoke@example.com', 'smoke-password-1', company=company, is_staff=True)
print(Workflow.objects.create(company=company, name='Smoke Orders', code='smoke_orders').pk)
" 2>>"$WORK/setup.log" | tail -n 1)
TOKEN=$("$PYTHON" manage.py issue_api_token --email smoke@example.com 2>>"$WORK/setup.log")
[[ -n "$WORKFLOW" && -n "$TOKEN" ]] || fail "company, user, workflow and token"

# --- receiver, web server, clusters -----------------------------------------------------------
cat >"$WORK/receiver.py" <<'EOF'
"""Loopback webhook receiver: appends each request (headers and body) as a JSON line."""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out_path, port_path = sys.argv[1], sys.argv[2]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each keep-alive request waits ~40 ms for a delayed ACK

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                  "body": body.decode()}
        with lock, open(out_path, "a") as out:
            out.write(json.dumps(record) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "11")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_path, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
EOF
start receiver "$PYTHON" "$WORK/receiver.py" "$WORK/received.jsonl" "$WORK/receiver.port"
wait_for 10 "the receiver" test -s "$WORK/receiver.port"
RECEIVER_PORT=$(cat "$WORK/receiver.port")

WEB_PORT=$(free_port)
BASE="http://127.0.0.1:$WEB_PORT"
# Plain HTTP on loopback: only the redirect to HTTPS is off; every other HTTPS setting stays on.
start gunicorn env SECURE_SSL_REDIRECT=false "$GUNICORN" cotalker_webhooks.wsgi:application \
    --bind "127.0.0.1:$WEB_PORT" --workers 2 --access-logfile - --error-logfile -
wait_for 30 "gunicorn" curl -s -o /dev/null "$BASE/healthz"

start qcluster-1 "$PYTHON" manage.py qcluster
start qcluster-2 "$PYTHON" manage.py qcluster
wait_for 60 "qcluster 1" grep -q "running\." "$WORK/qcluster-1.log"
wait_for 60 "qcluster 2" grep -q "running\." "$WORK/qcluster-2.log"
T_STARTED=$(elapsed)
log "gunicorn on $BASE, two qclusters running, receiver on port $RECEIVER_PORT"

# --- production web checks --------------------------------------------------------------------
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/login/")" == 200 ]] || fail "the login page"
CSS=$("$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))['paths']['css/panel.css'])" \
    "$WORK/static/staticfiles.json")
curl -s -D "$WORK/static.headers" -o /dev/null "$BASE/static/$CSS"
grep -q "^HTTP/1.1 200" "$WORK/static.headers" || fail "whitenoise did not serve /static/$CSS"
grep -qi "^cache-control: max-age=315360000" "$WORK/static.headers" || fail "hashed static file not cached forever"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" -H 'Host: evil.example.com')" == 400 ]] ||
    fail "a request for a host outside ALLOWED_HOSTS was not refused"

# --- webhook through the REST API -------------------------------------------------------------
API="$BASE/api/v3/webhook/subscription"
curl -s -o "$WORK/webhook.json" -w '%{http_code}' -X POST "$API" \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    -d "{\"name\": \"Smoke\", \"code\": \"smoke\", \"url\": \"http://127.0.0.1:$RECEIVER_PORT/hook\",
         \"trigger\": \"create-edit-delete-task\", \"context\": {\"taskGroup\": \"$WORKFLOW\"}}" \
    >"$WORK/webhook.status"
[[ "$(cat "$WORK/webhook.status")" == 201 ]] || fail "POST $API: $(cat "$WORK/webhook.status") $(cat "$WORK/webhook.json")"
WEBHOOK=$("$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))['_id'])" "$WORK/webhook.json")
curl -sf "$API/$WEBHOOK/secret" -H "Authorization: Bearer $TOKEN" >"$WORK/secret.json" || fail "GET secret"
log "webhook $WEBHOOK created through the API"

wait_for 30 "/healthz to answer 200" healthz_is 200
log "/healthz 200: $(cat "$WORK/healthz.json")"

# --- $TASKS tasks through the ORM -------------------------------------------------------------
T_TASKS=$(date +%s.%N)
"$PYTHON" manage.py shell -v 0 -c "
from events.models import Task, Workflow
workflow = Workflow.objects.get(pk='$WORKFLOW')
with open('$WORK/created.txt', 'w') as out:
    for i in range($TASKS):
        out.write(Task.objects.create(company_id=workflow.company_id, workflow=workflow, name=f'Smoke {i}').pk + '\n')
" >>"$WORK/setup.log" 2>&1 || fail "creating $TASKS tasks"
count_received() { [[ -f "$WORK/received.jsonl" ]] && wc -l <"$WORK/received.jsonl" || echo 0; }
received_all() { (($(count_received) >= TASKS)); }
wait_for 180 "$TASKS deliveries" received_all
DELIVERY_SECONDS=$("$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$T_TASKS" "$(date +%s.%N)")
sleep 1  # anything extra (a duplicate) would arrive now
log "$TASKS tasks created and delivered in ${DELIVERY_SECONDS}s"

"$PYTHON" - "$WORK" "$TASKS" <<'EOF' || fail "the deliveries"
import json
import sys
from pathlib import Path

from standardwebhooks import Webhook

work, tasks = Path(sys.argv[1]), int(sys.argv[2])
created = work.joinpath("created.txt").read_text().split()
records = [json.loads(line) for line in work.joinpath("received.jsonl").read_text().splitlines()]
secret = json.loads(work.joinpath("secret.json").read_text())["secret"]
verifier = Webhook(secret)
bodies = [verifier.verify(r["body"], r["headers"]) for r in records]  # raises if a signature is wrong
assert len(created) == tasks, f"{len(created)} tasks created"
assert len(records) == tasks, f"received {len(records)} requests for {tasks} tasks"
assert all(r["path"] == "/hook" for r in records)
assert all(b["type"] == "COTTask" and b["event"] == "create" for b in bodies)
received = [b["data"]["_id"] for b in bodies]
assert received == created, "deliveries arrived out of creation order"
assert len({r["headers"]["webhook-id"] for r in records}) == tasks, "a delivery was sent twice"
print(f"{tasks} deliveries: in creation order, each once, signatures verified")
EOF

"$PYTHON" manage.py shell -v 0 -c "
from webhooks.models import Delivery
total, succeeded = Delivery.objects.count(), Delivery.objects.filter(state=Delivery.State.SUCCESS).count()
assert total == succeeded == $TASKS, (total, succeeded)
" >>"$WORK/setup.log" 2>&1 || fail "every delivery logged as SUCCESS"

# One line per attempt, "<UTC timestamp> <level> <logger> <message>", from either cluster.
grep -h -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4} INFO webhooks\.delivery delivery attempt webhook=$WEBHOOK " \
    "$WORK"/qcluster-*.log >"$WORK/attempts.txt" || true
ATTEMPT_LINES=$(wc -l <"$WORK/attempts.txt")
((ATTEMPT_LINES == TASKS)) || fail "expected $TASKS attempt log lines, found $ATTEMPT_LINES"
WEBHOOK_SECRET=$("$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))['secret'])" "$WORK/secret.json")
for secret in "$SECRET_KEY" "$WEBHOOK_SECRET" "$TOKEN" '"taskGroup"' '"diff"'; do
    if grep -qF -- "$secret" "$WORK"/gunicorn.log "$WORK"/qcluster-*.log; then
        fail "a secret or a payload appears in the logs"
    fi
done
sed -n 1p "$WORK/attempts.txt" | sed 's/^/    /'
log "one log line per attempt ($ATTEMPT_LINES), with timestamp, level and logger; no secrets or payloads"

"$PYTHON" manage.py prune_logs --days 30 >"$WORK/prune.log" 2>&1 || fail "prune_logs"
grep -q "^Deleted 0 deliveries" "$WORK/prune.log" || fail "prune_logs deleted recent logs: $(cat "$WORK/prune.log")"

healthz_is 200 || fail "/healthz answered $(healthz_status) with the clusters running: $(cat "$WORK/healthz.json")"

# --- clusters down: /healthz must notice --------------------------------------------------------
T_STOPPING=$(date +%s.%N)
stop_group "$PID_qcluster_1" "$PID_qcluster_2"
T_STOPPED=$(date +%s.%N)
STOP_SECONDS=$("$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$T_STOPPING" "$T_STOPPED")
log "both clusters stopped (in ${STOP_SECONDS}s); waiting for the heartbeat to age past ${HEARTBEAT_MAX_AGE}s"
wait_for $((HEARTBEAT_MAX_AGE + 20)) "/healthz to answer 503" healthz_is 503
NOTICED=$("$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$T_STOPPED" "$(date +%s.%N)")
"$PYTHON" -c "
import json, sys
body = json.load(open(sys.argv[1]))
assert body['status'] == 'fail' and body['cluster']['ok'] is False, body
assert body['database']['ok'] and body['broker']['ok'], body
" "$WORK/healthz.json" || fail "the 503 body: $(cat "$WORK/healthz.json")"
log "/healthz 503 ${NOTICED}s after the clusters were gone: $(cat "$WORK/healthz.json")"

log "timings: setup (migrate, collectstatic) ${T_SETUP}s, processes up at ${T_STARTED}s, \
$TASKS deliveries ${DELIVERY_SECONDS}s, clusters stopped in ${STOP_SECONDS}s, 503 after ${NOTICED}s, \
total $(elapsed)s"
echo "PASS: production smoke test ($TASKS tasks delivered in order by 2 qclusters on PostgreSQL + Redis, /healthz 200 then 503)"
