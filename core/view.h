/*
 * view.h: orders as the protocol shows them. Every buyer field goes through mask.h (S1):
 * no view, list or export carries the full phone or address.
 */
#ifndef PD_VIEW_H
#define PD_VIEW_H

#include "cJSON.h"
#include "order.h"
#include "shop.h"

/* The whole order for order.get: with deadlines, actions (as of `at`) and timeline. */
cJSON *view_order(pd_shop *s, const order *o, pd_ms at);
/* The `order` of a command's result; orders.list's rows are this plus view_list_row's. */
cJSON *view_summary(const order *o);
/* One row of orders.list: the summary, with `conflicts` (how many) when the order has any. */
cJSON *view_list_row(const order *o);
/* The deadline that comes next (open, or missed and still owed), or JSON null. */
cJSON *view_next_deadline(const order *o);
cJSON *view_flags(unsigned flags);

#endif
