import peewee

from models.base import BaseModel


class Listing(BaseModel):
    stays_listing_id = peewee.TextField(primary_key=True)
    short_id = peewee.TextField(null=True)
    name = peewee.TextField(null=True)
    timezone = peewee.TextField()
    lock_id = peewee.TextField(null=True)
    check_in_time = peewee.TextField(null=True)
    check_out_time = peewee.TextField(null=True)
    configured = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(constraints=[peewee.SQL("DEFAULT now()")])
    updated_at = peewee.DateTimeField(constraints=[peewee.SQL("DEFAULT now()")])

    class Meta:
        table_name = "listings"
