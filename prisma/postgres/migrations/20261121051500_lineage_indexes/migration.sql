-- Lineage queries (issue #4, benchmark): covering indexes so the per-event identifier rows and the
-- record hashes of a block are read from the index alone, without a row lookup each. They extend
-- the indexes they replace (same leading columns), so every query that used those still can.

-- DropIndex
DROP INDEX "EventIdentifier_consortiumId_eventId_idx";

-- CreateIndex
CREATE INDEX "EventIdentifier_consortiumId_eventId_identifier_role_idx" ON "EventIdentifier"("consortiumId", "eventId", "identifier", "role");

-- DropIndex
DROP INDEX "LedgerRecord_consortiumId_blockHeight_indexInBlock_idx";

-- CreateIndex
CREATE INDEX "LedgerRecord_consortiumId_blockHeight_indexInBlock_hash_idx" ON "LedgerRecord"("consortiumId", "blockHeight", "indexInBlock", "hash");
