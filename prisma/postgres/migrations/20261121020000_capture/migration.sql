-- Capture: who holds each item now (custody), keyed by canonical identifier.
-- orgId is NULL while nobody holds it (in transit, consumed or sold).
CREATE TABLE "Custody" (
    "consortiumId" TEXT NOT NULL,
    "identifier" TEXT NOT NULL,
    "orgId" TEXT,
    "eventId" TEXT NOT NULL,
    "eventTime" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "identifier")
);

-- CreateIndex
CREATE INDEX "Custody_consortiumId_orgId_idx" ON "Custody"("consortiumId", "orgId");
