#!/usr/bin/env bash
# Install Debian's Slurm and start a one-node cluster on 127.0.0.1 for tests/test_slurm.py.
#
#   .ci/slurm-setup.sh          install (when missing), configure and start munged, slurmctld, slurmd
#   .ci/slurm-setup.sh stop     stop the three daemons through their pid files
#
# Runs as root on Debian 12 (Slurm 22.05) without systemd; it talks to 127.0.0.1 only. The daemons'
# pid files, logs and spool live in $JUNOML_SLURM_STATE_DIR (default /var/lib/junoml-slurm);
# tests/test_slurm.py stops the daemons through these pid files when it finishes.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
state_dir="${JUNOML_SLURM_STATE_DIR:-/var/lib/junoml-slurm}"
slurm_conf=/etc/slurm/slurm.conf
marker="# One-node Slurm 22.05 cluster on 127.0.0.1 for tests/test_slurm.py"
# Memory and CPUs the node declares to Slurm. Slurm does not enforce them here (no cgroups). They
# only have to hold the requests of every job that the test profile's `jobs` limit lets run at
# once: 10 jobs of at most 8000 MB, and six trainings of 8 cores (cpus_per_gpu of
# slurm/profile.yaml) next to CPU jobs of up to 8 threads. The `jobs` limit, not Slurm, keeps the
# real load near the machine's cores.
declared_memory_mb="${JUNOML_SLURM_MEMORY_MB:-131072}"
declared_cpus="${JUNOML_SLURM_CPUS:-64}"

stop_daemons() {
    local name pid_file pid
    for name in slurmd slurmctld munged; do
        pid_file="$state_dir/$name.pid"
        [ "$name" = munged ] && pid_file=/run/munge/munged.pid
        if [ -f "$pid_file" ]; then
            pid="$(cat "$pid_file")"
            if kill "$pid" 2>/dev/null; then
                # A daemon that is still shutting down keeps its port open, so a restart waits for it.
                for _ in $(seq 1 50); do
                    kill -0 "$pid" 2>/dev/null || break
                    sleep 0.2
                done
                echo "slurm-setup: stopped $name (pid $pid)"
            fi
            rm -f "$pid_file"
        fi
    done
}

if [ "${1:-start}" = stop ]; then
    stop_daemons
    exit 0
fi
if [ "${1:-start}" != start ]; then
    echo "slurm-setup: unknown action '$1'; use 'start' (default) or 'stop'" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-setup: must run as root to install and start Slurm; run it with root rights" >&2
    exit 1
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    echo "slurm-setup: installing slurmctld, slurmd, slurm-client and munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

if [ -f "$slurm_conf" ] && ! grep -qF "$marker" "$slurm_conf"; then
    echo "slurm-setup: $slurm_conf exists and was not written by this script; not overwriting it." >&2
    echo "slurm-setup: use that cluster directly, or move the file away to set up the test cluster." >&2
    exit 1
fi

# A restart starts from a clean state: stale daemons of an earlier run would hold the ports.
stop_daemons
mkdir -p "$state_dir/slurmctld" "$state_dir/slurmd" /etc/slurm
sed -e "s|@STATE_DIR@|$state_dir|g" -e "s|@CPUS@|$declared_cpus|g" -e "s|@MEMORY_MB@|$declared_memory_mb|g" \
    "$repo/tests/slurm/slurm.conf.in" >"$slurm_conf"
cp "$repo/tests/slurm/gres.conf" /etc/slurm/gres.conf

# munged runs as the munge user, which the Debian package creates along with its key.
if [ ! -f /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
su -s /bin/sh munge -c /usr/sbin/munged

# -c clears the saved state of an earlier start (job records, a node drained by an older gres.conf).
slurmctld -c
slurmd -N localhost

# The node turns idle once slurmd has registered with slurmctld (about a second).
for _ in $(seq 1 30); do
    if sinfo --noheader --nodes=localhost --format=%t 2>/dev/null | grep -qx idle; then
        echo "slurm-setup: one-node Slurm cluster up ($declared_cpus CPUs, 6 stand-in GPUs, partitions cpu and gpu)"
        exit 0
    fi
    sleep 1
done
echo "slurm-setup: the node did not turn idle within 30 s; see $state_dir/slurmctld.log and $state_dir/slurmd.log" >&2
sinfo >&2 || true
exit 1
