#!/usr/bin/env bash
# The whole system's footprint as `dotnet run --project Aimi.AppHost` runs it (dashboard included): memory (PSS) and CPU per
# process, idle, and optionally again after some use of Memory (issue 17's idle target).
#
#   bench/footprint.sh [--settle SECONDS] [--window SECONDS] [--use]
#
# It builds the AppHost (Release), starts it, waits --settle seconds (default 180) after the gateway answers, then reads every
# process the AppHost and Aspire's DCP started: PSS from /proc/<pid>/smaps_rollup and user+system CPU over --window seconds
# (default 60). With --use it then sends 20 searches and imports the held-out evaluation set's two English conversations
# (735 lines) for one development user through the gateway, which loads Memory's embedding model, waits a minute and reads
# PSS again. It stops the system at the end. Needs Linux (/proc), curl and python3; port 8080 must be free.
set -euo pipefail

settle=180 window=60 use=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --settle) settle="$2"; shift 2 ;;
    --window) window="$2"; shift 2 ;;
    --use) use=true; shift ;;
    *) echo "usage: $0 [--settle SECONDS] [--window SECONDS] [--use]" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
gateway=http://localhost:8080
log="$(mktemp -t aimi-footprint.XXXXXX.log)"

if curl -s -o /dev/null "$gateway/health"; then
  echo "Something already answers on $gateway: stop it first." >&2
  exit 1
fi

dotnet build -c Release "$root/Aimi.AppHost" -nologo > "$log" 2>&1 || { tail -20 "$log" >&2; echo "The build failed; its log: $log" >&2; exit 1; }
dotnet run -c Release --no-build --project "$root/Aimi.AppHost" >> "$log" 2>&1 &
launcher=$!

stop() {
  local apphost
  apphost="$(pgrep -P "$launcher" || true)"
  kill -TERM $apphost "$launcher" 2> /dev/null || true
  wait "$launcher" 2> /dev/null || true
  # DCP goes on stopping what it ran for a while after its host exits.
  for _ in $(seq 60); do pgrep -f "dcp start-apiserver --monitor ${apphost:-none}" > /dev/null || break; sleep 1; done
}
trap stop EXIT

for _ in $(seq 300); do
  curl -s -o /dev/null "$gateway/health" && break
  kill -0 "$launcher" 2> /dev/null || { echo "The AppHost ended; its log: $log" >&2; exit 1; }
  sleep 1
done
curl -s -o /dev/null "$gateway/health" || { echo "The gateway did not answer within 300 s; the AppHost's log: $log" >&2; exit 1; }

apphost="$(pgrep -P "$launcher")"
dcp="$(pgrep -f "dcp start-apiserver --monitor $apphost")"

# The launcher, the AppHost and DCP with everything each started.
processes() {
  local queue=("$launcher" "$dcp") pid
  while [[ ${#queue[@]} -gt 0 ]]; do
    pid="${queue[0]}"; queue=("${queue[@]:1}")
    [[ -r "/proc/$pid/stat" ]] || continue
    echo "$pid"
    queue+=($(cat /proc/"$pid"/task/*/children 2> /dev/null || true))
  done
}

# What a process is, from its command line (DCP by its path: RabbitMQ's options hold "dcpu").
role() {
  local command
  command="$(tr '\0' ' ' < "/proc/$1/cmdline" 2> /dev/null || true)"
  case "$command" in
    "dotnet run"*) echo "dotnet run (the AppHost's launcher)" ;;
    *Aimi.AppHost*) echo "AppHost" ;;
    *Aimi.Gateway*) echo "gateway" ;;
    *Aimi.Goals.Api*) echo "goals" ;;
    *Aimi.Chat.Api*) echo "chat" ;;
    *Aimi.Memory.Api*) echo "memory" ;;
    *Aimi.Notifications.Api*) echo "notifications" ;;
    *Aimi.Web*) echo "web" ;;
    *Aspire.Dashboard*) echo "dashboard" ;;
    */dcp\ monitor-process*) echo "DCP per-resource monitors" ;;
    */dcp\ *) echo "DCP" ;;
    *beam.smp*|epmd*|erl_child_setup*|*inet_gethost*|*rabbit_disk_monitor*) echo "RabbitMQ" ;;
    *postgres*) echo "PostgreSQL" ;;
    *redis-server*) echo "Redis" ;;
    *) echo "other" ;;
  esac
}

# utime + stime in 10 ms ticks: fields 14 and 15, counted after the command name, which may hold spaces.
ticks() { sed 's/.*) //' "/proc/$1/stat" 2> /dev/null | awk '{ print $12 + $13 }' || echo 0; }
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2> /dev/null || echo 0; }

# PSS per role now, and CPU per role over the window when one is given.
measure() {
  local title="$1" seconds="$2" pid rows="" cpu
  local -A before=()
  local pids=($(processes))
  if (( seconds > 0 )); then
    for pid in "${pids[@]}"; do before[$pid]="$(ticks "$pid")"; done
    sleep "$seconds"
  fi
  for pid in "${pids[@]}"; do
    [[ -r "/proc/$pid/stat" ]] || continue
    cpu=0
    (( seconds > 0 )) && cpu=$(( $(ticks "$pid") - ${before[$pid]:-0} ))
    rows+="$(role "$pid")"$'\t'"$(pss_kb "$pid")"$'\t'"$cpu"$'\n'
  done
  echo "$title"
  # One line per role, most memory first (ticks are 10 ms of CPU), then the total.
  printf '%s' "$rows" | awk -F'\t' -v seconds="$seconds" '
    { pss[$1] += $2; cpu[$1] += $3; n[$1]++ }
    END {
      for (r in pss) {
        line = sprintf("  %-36s %2d %-9s %6.0f MiB", r, n[r], n[r] == 1 ? "process" : "processes", pss[r] / 1024)
        if (seconds > 0) line = line sprintf("  %5.1f ms of CPU a second", cpu[r] * 10 / seconds)
        printf "%012d\t%s\n", pss[r], line
      }
    }' | sort -r | cut -f2-
  printf '%s' "$rows" | awk -F'\t' -v seconds="$seconds" '
    { pss += $2; cpu += $3 }
    END {
      line = sprintf("  total %.0f MiB PSS", pss / 1024)
      if (seconds > 0) line = line sprintf(", %.1f ms of CPU a second (%.1f%% of one core)", cpu * 10 / seconds, cpu / seconds)
      print line
    }'
}

echo "Up; settling for $settle s…"
sleep "$settle"
measure "idle, $window s, nothing sent:" "$window"

if [[ "$use" == true ]]; then
  token="$(curl -s -X POST "$gateway/auth/dev-token" -H 'content-type: application/json' -d '{"subject":"footprint"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')"
  for i in $(seq 20); do
    curl -s -o /dev/null -H "authorization: Bearer $token" "$gateway/memory/search?q=how+is+my+training+going+$i"
  done
  python3 - "$root/tests/Aimi.Memory.Tests/Evaluation/HeldOut" > "${log%.log}-import.json" << 'PY'
import datetime, json, sys
messages = []
for name in ("coworkers-ana-ben", "penpals-grace-omar"):
    conversation = json.load(open(f"{sys.argv[1]}/{name}.json"))
    for session in conversation["sessions"]:
        started = datetime.datetime.fromisoformat(session["startedAt"])
        for i, message in enumerate(session["messages"]):
            messages.append({"id": f"{name}/{message['id']}", "speaker": message["speaker"], "content": message["text"],
                             "role": "user" if message["speaker"] == conversation["speakers"][0] else "assistant",
                             "createdAt": (started + datetime.timedelta(minutes=i)).isoformat()})
print(json.dumps({"conversationId": f"footprint-{datetime.datetime.now(datetime.timezone.utc):%Y%m%d%H%M%S}", "messages": messages}))
PY
  status="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' \
    --data-binary @"${log%.log}-import.json" "$gateway/memory/conversations")"
  echo "20 searches sent; import of 735 lines: HTTP $status. A minute for it to be processed…"
  sleep 60
  measure "after that use:" 0
fi
