-- Only a blocked session shows a dialog: sessions that ended (exited, lost) before their end cleared it show none.
UPDATE "sessions" SET "blocking" = NULL WHERE "state" <> 'blocked' AND "blocking" IS NOT NULL;
