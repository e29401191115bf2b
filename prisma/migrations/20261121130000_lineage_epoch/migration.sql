-- Lineage read cache (issue #4): a counter bumped by every change to a record, an event or an
-- index row other than a plain append, save a record's sealing (its block columns set once). A
-- lineage reader keeps the rows it read only while this counter, SQLite's data_version and the
-- rowids appended since show that re-reading them would give the same bytes
-- (src/store/change-watch.ts). REPLACE deletes fire no delete trigger (recursive_triggers is off
-- by default), so the reader sees those through the rows they append instead.

-- CreateTable
CREATE TABLE "LineageEpoch" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "epoch" INTEGER NOT NULL
);

INSERT INTO "LineageEpoch" ("id", "epoch") VALUES (1, 0);

-- The counter only counts up: setting it back, deleting or replacing its row is refused.
CREATE TRIGGER "LineageEpoch_counts_up" BEFORE UPDATE ON "LineageEpoch"
WHEN NEW."epoch" <= OLD."epoch" OR NEW."id" IS NOT OLD."id"
BEGIN
  SELECT RAISE(ABORT, 'LineageEpoch only counts up');
END;

CREATE TRIGGER "LineageEpoch_no_delete" BEFORE DELETE ON "LineageEpoch"
BEGIN
  SELECT RAISE(ABORT, 'LineageEpoch rows are never deleted');
END;

CREATE TRIGGER "LineageEpoch_no_insert" BEFORE INSERT ON "LineageEpoch"
BEGIN
  SELECT RAISE(ABORT, 'LineageEpoch rows are never inserted or replaced');
END;

-- Sealing sets blockHeight and indexInBlock on unsealed rows only; any other update counts.
CREATE TRIGGER "LedgerRecord_lineage_epoch_update" AFTER UPDATE ON "LedgerRecord"
WHEN OLD."blockHeight" IS NOT NULL OR OLD."indexInBlock" IS NOT NULL
  OR NEW."hash" IS NOT OLD."hash" OR NEW."consortiumId" IS NOT OLD."consortiumId" OR NEW."logIndex" IS NOT OLD."logIndex"
  OR NEW."kind" IS NOT OLD."kind" OR NEW."signer" IS NOT OLD."signer" OR NEW."signedAt" IS NOT OLD."signedAt"
  OR NEW."receivedAt" IS NOT OLD."receivedAt" OR NEW."body" IS NOT OLD."body"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "LedgerRecord_lineage_epoch_delete" AFTER DELETE ON "LedgerRecord"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

-- A row given its rowid (in BEFORE INSERT an assigned rowid reads -1) may overwrite one in place.
CREATE TRIGGER "LedgerRecord_lineage_epoch_rowid" BEFORE INSERT ON "LedgerRecord"
WHEN NEW.rowid <> -1
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

-- ... and -1 itself, given, shows after the insert.
CREATE TRIGGER "LedgerRecord_lineage_epoch_negative_rowid" AFTER INSERT ON "LedgerRecord"
WHEN NEW.rowid < 0
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EpcisEvent_lineage_epoch_update" AFTER UPDATE ON "EpcisEvent"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EpcisEvent_lineage_epoch_delete" AFTER DELETE ON "EpcisEvent"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EpcisEvent_lineage_epoch_rowid" BEFORE INSERT ON "EpcisEvent"
WHEN NEW.rowid <> -1
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EpcisEvent_lineage_epoch_negative_rowid" AFTER INSERT ON "EpcisEvent"
WHEN NEW.rowid < 0
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EventIdentifier_lineage_epoch_update" AFTER UPDATE ON "EventIdentifier"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EventIdentifier_lineage_epoch_delete" AFTER DELETE ON "EventIdentifier"
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EventIdentifier_lineage_epoch_rowid" BEFORE INSERT ON "EventIdentifier"
WHEN NEW.rowid <> -1
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;

CREATE TRIGGER "EventIdentifier_lineage_epoch_negative_rowid" AFTER INSERT ON "EventIdentifier"
WHEN NEW.rowid < 0
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
END;
