-- Blocks derived from the consortium's ordering log (docs/design/network.md). Not chain data: a
-- node's own bookkeeping, re-derivable from the log.

-- The log entry that cut the block (a restart resumes the log after it and re-derives what follows)
-- and the one that made it final. NULL for blocks stored before blocks were derived from the log.
ALTER TABLE "Block" ADD COLUMN "cutSequence" INTEGER;
ALTER TABLE "Block" ADD COLUMN "finalSequence" INTEGER;

-- Each seal an authority key of this node made, written (and synced) before the seal is published:
-- a key never seals two different blocks at one height, across crashes and restarts.
-- CreateTable
CREATE TABLE "SealLedger" (
    "consortiumId" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "height" INTEGER NOT NULL,
    "blockHash" TEXT NOT NULL,
    "sealedAt" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "keyId", "height")
);

-- What seals in the log prove against their authorities: equivocation (two blocks sealed by one
-- key at one height) and conflicting seals (a block other than the one derived here), with the
-- signed headers. The id is the hex SHA-256 of the body, so the same evidence is kept once.
-- CreateTable
CREATE TABLE "ChainEvidence" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "consortiumId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "height" INTEGER NOT NULL,
    "keyId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "body" TEXT NOT NULL,
    "detectedAt" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "ChainEvidence_consortiumId_height_idx" ON "ChainEvidence"("consortiumId", "height");
