-- Lineage read cache (issue #4): a counter bumped by every UPDATE or DELETE of a record, an event
-- or an index row, save a record's sealing (its block columns set once). A lineage reader keeps
-- the rows it read only while this counter, SQLite's data_version and the rowids appended since
-- show that re-reading them would give the same bytes (src/store/change-watch.ts). REPLACE
-- deletes fire no delete trigger (recursive_triggers is off by default): the reader sees those
-- through the rows they append. No INSERT triggers: they cost capture 10-15 % in the benchmark.

-- "epoch" may be NULL on purpose: a constraint that can abort the triggers' UPDATE would make
-- SQLite keep a statement journal for every statement that fires them (sealing took twice as long).
-- CreateTable
CREATE TABLE "LineageEpoch" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "epoch" INTEGER
);

INSERT INTO "LineageEpoch" ("id", "epoch") VALUES (1, 0);

-- Sealing sets blockHeight and indexInBlock on unsealed rows only; any other update counts,
-- a moved rowid too (UPDATE OR REPLACE ... SET rowid can delete the row it lands on).
CREATE TRIGGER "LedgerRecord_lineage_epoch_update" AFTER UPDATE ON "LedgerRecord"
WHEN OLD."blockHeight" IS NOT NULL OR OLD."indexInBlock" IS NOT NULL OR NEW.rowid IS NOT OLD.rowid
  OR NEW."hash" IS NOT OLD."hash" OR NEW."consortiumId" IS NOT OLD."consortiumId" OR NEW."logIndex" IS NOT OLD."logIndex"
  OR NEW."kind" IS NOT OLD."kind" OR NEW."signer" IS NOT OLD."signer" OR NEW."signedAt" IS NOT OLD."signedAt"
  OR NEW."receivedAt" IS NOT OLD."receivedAt" OR NEW."body" IS NOT OLD."body"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = coalesce("epoch", 0) + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "LedgerRecord_lineage_epoch_delete" AFTER DELETE ON "LedgerRecord"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = coalesce("epoch", 0) + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EpcisEvent_lineage_epoch_update" AFTER UPDATE ON "EpcisEvent"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = coalesce("epoch", 0) + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EpcisEvent_lineage_epoch_delete" AFTER DELETE ON "EpcisEvent"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = coalesce("epoch", 0) + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EventIdentifier_lineage_epoch_update" AFTER UPDATE ON "EventIdentifier"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = coalesce("epoch", 0) + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EventIdentifier_lineage_epoch_delete" AFTER DELETE ON "EventIdentifier"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = coalesce("epoch", 0) + 1 WHERE "id" = 1;
END;

