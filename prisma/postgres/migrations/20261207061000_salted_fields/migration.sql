-- Openings (value and salt) of withheld event fields, whose salted commitments the signed records hold.

-- CreateTable
CREATE TABLE "WithheldField" (
    "consortiumId" TEXT NOT NULL,
    "commitment" TEXT NOT NULL,
    "recordHash" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "value" TEXT,
    "salt" TEXT,
    "createdAt" TEXT NOT NULL,
    "erasedAt" TEXT,

    PRIMARY KEY ("consortiumId", "recordHash", "commitment")
);
