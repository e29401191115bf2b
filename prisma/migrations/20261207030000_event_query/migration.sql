-- The EPCIS query interface (GET /events): events in UTC eventTime order, alone or for one bizStep.
-- The stored eventTime keeps the event's own offset, so the indexes are on its UTC text; the query
-- store (src/store/event-query-store.ts) uses the same expression. Prisma's schema language has
-- no expression indexes: these live in migrations only.

-- CreateIndex
CREATE INDEX "EpcisEvent_query_eventTimeUtc_idx" ON "EpcisEvent"("consortiumId", strftime('%Y-%m-%dT%H:%M:%fZ', "eventTime"), "eventId");

-- CreateIndex
CREATE INDEX "EpcisEvent_query_bizStep_eventTimeUtc_idx" ON "EpcisEvent"("consortiumId", "bizStep", strftime('%Y-%m-%dT%H:%M:%fZ', "eventTime"), "eventId");
