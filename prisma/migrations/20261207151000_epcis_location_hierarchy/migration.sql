-- The location hierarchy of captured EPCIS master data (WD_readPoint, WD_bizLocation): one row per
-- parent-child link an organisation's signed document header declared.

-- CreateTable
CREATE TABLE "LocationLink" (
    "consortiumId" TEXT NOT NULL,
    "vocabulary" TEXT NOT NULL,
    "parentId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "childId" TEXT NOT NULL,
    "recordHash" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "vocabulary", "parentId", "orgId", "childId")
);
