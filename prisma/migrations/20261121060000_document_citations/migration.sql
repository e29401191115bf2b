-- Document citations (issue #3 §8, #4 §6): which events cite which off-chain document, so a
-- document is served only to members entitled to see an event that cites it.

-- CreateTable
CREATE TABLE "DocumentCitation" (
    "consortiumId" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "sha256", "eventId")
);

-- Backfill from events captured before this migration (the signed record body holds the event).
INSERT OR IGNORE INTO "DocumentCitation" ("consortiumId", "sha256", "eventId")
SELECT e."consortiumId", json_extract(d.value, '$.sha256'), e."eventId"
  FROM "EpcisEvent" e
  JOIN "LedgerRecord" r ON r."hash" = e."recordHash",
       json_each(r."body", '$.payload.event."provenant:documents"') d
 WHERE json_type(r."body", '$.payload.event."provenant:documents"') = 'array'
   AND json_extract(d.value, '$.sha256') IS NOT NULL;
