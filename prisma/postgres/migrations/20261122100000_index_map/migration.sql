-- The identifier index map (docs/completeness.md): every identifier's leaf (how many records touch
-- it and the head of its hash chain over them) and every bucket's root, as of the block in
-- IndexState. The sealer writes them in the transaction that stores the block whose header
-- commits to the map's root; nodes rebuild them from the chain when they are missing.
-- Leaves of one bucket are a range of the primary key: the bucket is the key's first 4 hex digits.

-- CreateTable
CREATE TABLE "IndexLeaf" (
    "consortiumId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "identifier" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "head" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "key")
);

-- CreateTable
CREATE TABLE "IndexBucket" (
    "consortiumId" TEXT NOT NULL,
    "bucket" INTEGER NOT NULL,
    "root" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "bucket")
);

-- CreateTable
CREATE TABLE "IndexState" (
    "consortiumId" TEXT NOT NULL PRIMARY KEY,
    "height" INTEGER NOT NULL,
    "logSize" INTEGER NOT NULL,
    "root" TEXT NOT NULL
);
