-- (PostgreSQL port of the SQLite migration.)
-- EPCIS 2.0 capture binding: client-supplied event IDs, error declarations, capture jobs.

-- A client-supplied eventID (EPCIS 2.0 section 7.4.1.3), so GET /events/{that id} finds the event.
ALTER TABLE "EpcisEvent" ADD COLUMN "declaredEventId" TEXT;
CREATE INDEX "EpcisEvent_consortiumId_declaredEventId_idx" ON "EpcisEvent"("consortiumId", "declaredEventId");

UPDATE "EpcisEvent"
   SET "declaredEventId" = (SELECT CAST(r."body" AS json) #>> '{payload,event,eventID}' FROM "LedgerRecord" r WHERE r."hash" = "EpcisEvent"."recordHash")
 WHERE "declaredEventId" IS NULL;

-- Error declarations (EPCIS 2.0 section 7.4.1.4): one row per record declaring an error in a
-- captured event (a correction record, or the event's own record when captured with it).
CREATE TABLE "EventCorrection" (
    "consortiumId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "recordHash" TEXT NOT NULL,
    "correctedRecordHash" TEXT NOT NULL,
    "declarationTime" TEXT NOT NULL,
    "reason" TEXT,
    "correctiveEventIds" TEXT NOT NULL,
    "declaration" TEXT NOT NULL,
    "signerOrg" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "eventId", "recordHash")
);
CREATE INDEX "EventCorrection_consortiumId_reason_idx" ON "EventCorrection"("consortiumId", "reason");
CREATE INDEX "EventCorrection_recordHash_idx" ON "EventCorrection"("recordHash");

-- Events captured before this migration with their declaration: the declaration is in the signed body.
INSERT INTO "EventCorrection" ("consortiumId", "eventId", "recordHash", "correctedRecordHash", "declarationTime", "reason", "correctiveEventIds", "declaration", "signerOrg")
SELECT e."consortiumId", e."eventId", e."recordHash", e."recordHash",
       CAST(r."body" AS json) #>> '{payload,event,errorDeclaration,declarationTime}',
       CAST(r."body" AS json) #>> '{payload,event,errorDeclaration,reason}',
       COALESCE(CAST(r."body" AS json) #>> '{payload,event,errorDeclaration,correctiveEventIDs}', '[]'),
       CAST(r."body" AS json) #>> '{payload,event,errorDeclaration}',
       e."submitterOrg"
  FROM "EpcisEvent" e
  JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
 WHERE json_typeof(CAST(r."body" AS json) #> '{payload,event,errorDeclaration}') = 'object'
ON CONFLICT DO NOTHING;

-- Capture jobs of the EPCIS 2.0 REST binding (POST /capture, GET /capture/{captureID}); node
-- state, not chain data: pruned by age and count.
CREATE TABLE "CaptureJob" (
    "captureId" TEXT NOT NULL PRIMARY KEY,
    "consortiumId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "createdAt" TEXT NOT NULL,
    "finishedAt" TEXT,
    "running" BOOLEAN NOT NULL,
    "success" BOOLEAN NOT NULL,
    "errorBehaviour" TEXT NOT NULL,
    "eventCount" INTEGER NOT NULL,
    "errors" TEXT NOT NULL,
    "results" TEXT
);
CREATE INDEX "CaptureJob_consortiumId_orgId_createdAt_idx" ON "CaptureJob"("consortiumId", "orgId", "createdAt");
CREATE INDEX "CaptureJob_createdAt_idx" ON "CaptureJob"("createdAt");
