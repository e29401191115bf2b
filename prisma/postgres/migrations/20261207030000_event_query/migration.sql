-- The EPCIS query interface (GET /events): events in UTC eventTime order, alone or for one bizStep.
-- The stored eventTime keeps the event's own offset, so the indexes are on its UTC text; the query
-- store (src/store/event-query-store.ts) uses the same expression. (PostgreSQL port: SQLite's
-- strftime('%Y-%m-%dT%H:%M:%fZ', t) is provenant_utc_millis(t), which src/store/dialect.ts writes
-- for it. It is declared IMMUTABLE for the indexes: it reads RFC 3339 text with its own offset,
-- which no session setting changes. Text that is no time gives NULL, as strftime does.)
CREATE FUNCTION provenant_utc_millis(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN to_char(CAST(t AS timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

CREATE INDEX "EpcisEvent_query_eventTimeUtc_idx" ON "EpcisEvent"("consortiumId", provenant_utc_millis("eventTime"), "eventId");
CREATE INDEX "EpcisEvent_query_bizStep_eventTimeUtc_idx" ON "EpcisEvent"("consortiumId", "bizStep", provenant_utc_millis("eventTime"), "eventId");
