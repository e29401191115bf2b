-- Document citations: which events cite which off-chain document, so a document is served only to
-- members entitled to see an event that cites it. (PostgreSQL port of the SQLite migration.)
-- CreateTable
CREATE TABLE "DocumentCitation" (
    "consortiumId" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "sha256", "eventId")
);

-- Backfill from events captured before this migration (the signed record body holds the event).
INSERT INTO "DocumentCitation" ("consortiumId", "sha256", "eventId")
SELECT e."consortiumId", d.value ->> 'sha256', e."eventId"
  FROM "EpcisEvent" e
  JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
  CROSS JOIN LATERAL json_array_elements(
       CASE WHEN json_typeof(CAST(r."body" AS json) #> '{payload,event,provenant:documents}') = 'array'
            THEN CAST(r."body" AS json) #> '{payload,event,provenant:documents}' ELSE CAST('[]' AS json) END) d
 WHERE d.value ->> 'sha256' IS NOT NULL
ON CONFLICT DO NOTHING;
