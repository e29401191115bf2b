-- CreateTable
CREATE TABLE "Document" (
    "sha256" TEXT NOT NULL PRIMARY KEY,
    "consortiumId" TEXT NOT NULL,
    "mediaType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "uploadedByOrg" TEXT,
    "uploadedAt" TEXT NOT NULL,
    "bytes" BYTEA NOT NULL
);

-- CreateTable
CREATE TABLE "PersonData" (
    "commitment" TEXT NOT NULL PRIMARY KEY,
    "consortiumId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "data" TEXT,
    "salt" TEXT,
    "createdAt" TEXT NOT NULL,
    "erasedAt" TEXT,
    "erasureRecordHash" TEXT
);

-- CreateIndex
CREATE INDEX "Document_consortiumId_idx" ON "Document"("consortiumId");

-- CreateIndex
CREATE INDEX "PersonData_consortiumId_orgId_idx" ON "PersonData"("consortiumId", "orgId");
