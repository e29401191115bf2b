-- Lineage read cache: a counter bumped by every UPDATE or DELETE of a record, an event or an index
-- row, save a record's sealing (its block columns set once). (PostgreSQL port of the SQLite
-- migration: one trigger function; statement-level triggers where no row condition applies.)
CREATE TABLE "LineageEpoch" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "epoch" INTEGER
);

INSERT INTO "LineageEpoch" ("id", "epoch") VALUES (1, 0);

CREATE FUNCTION provenant_lineage_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "LineageEpoch" SET "epoch" = coalesce("epoch", 0) + 1 WHERE "id" = 1;
  RETURN NULL;
END
$$;

-- Sealing sets blockHeight and indexInBlock on unsealed rows only; any other update counts.
CREATE TRIGGER "LedgerRecord_lineage_epoch_update" AFTER UPDATE ON "LedgerRecord" FOR EACH ROW
WHEN (OLD."blockHeight" IS NOT NULL OR OLD."indexInBlock" IS NOT NULL
  OR NEW."hash" IS DISTINCT FROM OLD."hash" OR NEW."consortiumId" IS DISTINCT FROM OLD."consortiumId" OR NEW."logIndex" IS DISTINCT FROM OLD."logIndex"
  OR NEW."kind" IS DISTINCT FROM OLD."kind" OR NEW."signer" IS DISTINCT FROM OLD."signer" OR NEW."signedAt" IS DISTINCT FROM OLD."signedAt"
  OR NEW."receivedAt" IS DISTINCT FROM OLD."receivedAt" OR NEW."body" IS DISTINCT FROM OLD."body")
EXECUTE FUNCTION provenant_lineage_epoch_bump();

CREATE TRIGGER "LedgerRecord_lineage_epoch_delete" AFTER DELETE ON "LedgerRecord" FOR EACH STATEMENT
EXECUTE FUNCTION provenant_lineage_epoch_bump();

CREATE TRIGGER "EpcisEvent_lineage_epoch_update" AFTER UPDATE ON "EpcisEvent" FOR EACH STATEMENT
EXECUTE FUNCTION provenant_lineage_epoch_bump();

CREATE TRIGGER "EpcisEvent_lineage_epoch_delete" AFTER DELETE ON "EpcisEvent" FOR EACH STATEMENT
EXECUTE FUNCTION provenant_lineage_epoch_bump();

CREATE TRIGGER "EventIdentifier_lineage_epoch_update" AFTER UPDATE ON "EventIdentifier" FOR EACH STATEMENT
EXECUTE FUNCTION provenant_lineage_epoch_bump();

CREATE TRIGGER "EventIdentifier_lineage_epoch_delete" AFTER DELETE ON "EventIdentifier" FOR EACH STATEMENT
EXECUTE FUNCTION provenant_lineage_epoch_bump();
