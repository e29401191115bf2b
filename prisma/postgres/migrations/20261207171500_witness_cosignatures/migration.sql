-- Witnesses' cosignatures on this node's own checkpoints (docs/witness.md): each verified against
-- the stored checkpoint of that log size before it is kept; a bounded number per checkpoint.

-- CreateTable
CREATE TABLE "WitnessCosignature" (
    "consortiumId" TEXT NOT NULL,
    "logSize" INTEGER NOT NULL,
    "keyId" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "receivedAt" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "logSize", "keyId")
);
