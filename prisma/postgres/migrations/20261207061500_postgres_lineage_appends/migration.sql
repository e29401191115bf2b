-- PostgreSQL only (no SQLite counterpart): the lineage read cache's watch on PostgreSQL
-- (src/store/postgres-watch.ts) also needs to see appends. SQLite shows them through rowids in
-- commit order; PostgreSQL has no such order, so every INSERT statement into a record, event or
-- index table bumps "appended" (one statement-level trigger each, so a batch insert bumps it once).
ALTER TABLE "LineageEpoch" ADD COLUMN "appended" BIGINT;
UPDATE "LineageEpoch" SET "appended" = 0 WHERE "id" = 1;

CREATE FUNCTION provenant_lineage_append_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "LineageEpoch" SET "appended" = coalesce("appended", 0) + 1 WHERE "id" = 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER "LedgerRecord_lineage_append" AFTER INSERT ON "LedgerRecord" FOR EACH STATEMENT
EXECUTE FUNCTION provenant_lineage_append_bump();

CREATE TRIGGER "EpcisEvent_lineage_append" AFTER INSERT ON "EpcisEvent" FOR EACH STATEMENT
EXECUTE FUNCTION provenant_lineage_append_bump();

CREATE TRIGGER "EventIdentifier_lineage_append" AFTER INSERT ON "EventIdentifier" FOR EACH STATEMENT
EXECUTE FUNCTION provenant_lineage_append_bump();
