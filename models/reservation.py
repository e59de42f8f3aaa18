import peewee

from models.base import BaseModel


class Reservation(BaseModel):
    stays_reservation_id = peewee.TextField(unique=True)
    short_id = peewee.TextField()
    stays_listing_id = peewee.TextField()
    type = peewee.TextField()
    check_in_date = peewee.DateField()
    check_in_time = peewee.TextField(null=True)
    check_out_date = peewee.DateField()
    check_out_time = peewee.TextField(null=True)
    guest_name = peewee.TextField(null=True)
    guests = peewee.IntegerField(null=True)
    price_total = peewee.DecimalField(max_digits=14, decimal_places=2, null=True)
    currency = peewee.TextField(null=True)
    partner_name = peewee.TextField(null=True)
    content_hash = peewee.TextField()
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()
    deleted_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "reservations"
