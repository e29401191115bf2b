-- CreateTable
CREATE TABLE "AccessLog" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "consortiumId" TEXT NOT NULL,
    "viewerOrgId" TEXT NOT NULL,
    "ownerOrgId" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "accessedAt" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "AccessLog_consortiumId_ownerOrgId_id_idx" ON "AccessLog"("consortiumId", "ownerOrgId", "id");
