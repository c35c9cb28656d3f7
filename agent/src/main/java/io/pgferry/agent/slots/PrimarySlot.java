package io.pgferry.agent.slots;

import io.pgferry.common.Lsn;

/**
 * A logical slot as the primary holds it, with the bytes of its on-disk state file (pg_replslot/NAME/state).
 *
 * @param catalogXmin null when the slot holds none
 */
public record PrimarySlot(String name, String plugin, String database, Long catalogXmin, Lsn restartLsn,
                          Lsn confirmedFlushLsn, byte[] state) {
}
