-- A version per territory of the counters reporting has heard of, for the entity tags of polled
-- answers (vigie_reporting.api.polling): a counters.changed.v1 batch moves the version of every
-- territory it names and of every territory above them (an answer on a territory reads its
-- descendants' counters). A territory without a row is at version 0. Per territory, so that a
-- wall screen on one QPV keeps getting 304s while events flow elsewhere; `as_of` cannot serve
-- (a message of another partition announcing an older commit leaves it where it is).
CREATE TABLE reporting_versions (
    territory_id text PRIMARY KEY,
    version      bigint NOT NULL
);
