package io.pgferry.agent.slots;

import io.pgferry.common.Lsn;
import java.util.Map;

/**
 * A logical slot as the primary holds it, with the bytes of its on-disk state file (pg_replslot/NAME/state) and of
 * the snapshots the primary serialized at or after its restart_lsn (pg_logical/snapshots/X-Y.snap, by file name).
 *
 * @param catalogXmin null when the slot holds none
 */
public record PrimarySlot(String name, String plugin, String database, Long catalogXmin, Lsn restartLsn,
                          Lsn confirmedFlushLsn, byte[] state, Map<String, byte[]> snapshots) {
}
