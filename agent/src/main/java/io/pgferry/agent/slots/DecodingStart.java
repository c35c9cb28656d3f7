package io.pgferry.agent.slots;

import io.pgferry.common.Lsn;

/**
 * Where a copied slot's decoding starts, as installed: its restart_lsn and whether the primary's serialized snapshot
 * there was installed with it.
 */
record DecodingStart(Lsn restartLsn, boolean withSnapshot) {}
