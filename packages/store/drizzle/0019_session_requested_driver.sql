ALTER TABLE "sessions" ADD COLUMN "requested_driver" text DEFAULT 'hooks' NOT NULL;--> statement-breakpoint
-- What the sessions before it asked for is what they are followed by, but where claude's settings forbade hooks
-- (a `hooks_forbidden` notice in their log): those asked for hooks.
UPDATE "sessions" SET "requested_driver" = "driver";--> statement-breakpoint
UPDATE "sessions" SET "requested_driver" = 'hooks' WHERE "driver" = 'screen' AND EXISTS (SELECT 1 FROM "events" WHERE "events"."owner_id" = "sessions"."id" AND "events"."type" = 'notice' AND "events"."payload"->>'kind' = 'hooks_forbidden');
