CREATE TABLE "slot_pauses" (
	"slot" text PRIMARY KEY NOT NULL,
	"paused_until" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"owner_kind" text NOT NULL,
	"owner_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "slot_pauses" ADD CONSTRAINT "slot_pauses_slot_slots_id_fk" FOREIGN KEY ("slot") REFERENCES "public"."slots"("id") ON DELETE cascade ON UPDATE no action;