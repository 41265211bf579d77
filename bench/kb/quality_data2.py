"""The second held-out retrieval set: a self-storage company and 50 spoken-style questions.

Sealed: written on 2026-11-21 in one sitting, questions before anything was run, after the
fusion in kb/search.py was chosen; never searched while being written, never used to choose
anything. Only the phrase-to-chunk mapping was checked (by ingesting the files). Its
documents are an FAQ (Markdown), a price list (CSV) and rental terms (DOCX, built by
bench/kb/quality.py). Each question names a phrase that occurs in exactly one chunk: that
chunk is the answer.
"""

STORAGE_FAQ = """# Keystone Self Storage - Frequently Asked Questions

## What are your office hours?
The rental office is open Monday to Friday from 9 am to 6 pm and on Saturday from 9 am to
4 pm. The office is closed on Sundays, but you can still reach your unit during gate hours.

## When can I get to my unit?
The gate opens every day of the year from 6 am to 10 pm with your personal access code.
Customers who need to come outside these hours can add 24-hour access to their rental.

## How do I rent a unit?
Reserve online in about five minutes, call us on 555-0188, or stop by the office. A
reservation is free and holds the unit for seven days. Bring a photo ID when you move in.

## What size unit do I need?
As a rule of thumb, a 5x10 holds the contents of a studio apartment and a 10x10 a typical
one-bedroom flat. Not sure? Our staff can show you the sizes in person, and you can switch
to a different size later at no charge if the first one turns out too small or too big.

## Are any units climate controlled?
All indoor units on the first floor are heated and cooled, keeping a steady temperature
between 55 and 80 degrees all year. We recommend them for wooden furniture, electronics,
documents, musical instruments and artwork.

## How secure is the facility?
The site is fenced, lit at night and watched by 48 HD cameras recording around the clock.
Every tenant has a unique gate code, so we know who entered and when, and a manager lives
on site.

## Do I need my own lock?
Yes, every unit is secured by the tenant's own padlock and only you hold the key. We
recommend a disc lock, which is much harder to cut than a standard padlock; they are on
sale at the office.

## Can I drive right up to my unit?
Ground-floor units have drive-up access, so you can park right at the roll-up door.
Upper-floor units are reached through a covered loading bay with two freight elevators and
free flatbed carts.

## Do you offer a moving truck?
New customers can borrow our 15-foot moving truck for free on move-in day, for trips of up
to 50 miles. Book it when you reserve your unit, as it is first come, first served. You
only pay for the fuel you use.

## Can somebody else get into my unit?
You can name up to three authorised users on your account. Each gets their own gate code,
and you can remove them at any time by calling the office.

## Can you accept deliveries for me?
Business customers can have parcels and pallet deliveries received at the office during
opening hours. We sign for the delivery and move it into your unit for you.

## Can I store a car, boat or RV?
Yes. We have an outdoor lot for cars and motorcycles and a covered area for boats, RVs and
trailers up to 40 feet. Vehicles must be registered, insured and in running condition.

## Is there a minimum rental period?
There are no long contracts: the minimum stay is one month, and after that you can leave
whenever you like as long as you give notice in time.

## Do you have student discounts?
Students get 20 percent off any unit up to 5x10 from May to September with a valid student
card, which makes storing your things over the summer break easy.

## Do you sell boxes and packing supplies?
Our office shop stocks boxes in four sizes, tape, bubble wrap, mattress covers and
furniture blankets. Unused boxes can be returned with the receipt for a full refund.

## Where are you located?
We are at 2200 Industrial Parkway, just off exit 14 of Highway 9, behind the home
improvement store. Visitors can park in front of the office.

## Do I need insurance?
Your belongings must be insured while they are in storage. Your home insurance may already
cover items kept away from home; if it does not, you can take our protection plan when you
sign up.
"""

# No commas or semicolons inside fields, so the delimiter is never in doubt.
STORAGE_PRICES_CSV = """Item,Price (USD),Billed,Notes
Locker 3x3 ft,29,monthly,Indoor lockers on the ground floor near the office
Small unit 5x5 ft,49,monthly,Indoor with a swing door
Medium unit 5x10 ft,79,monthly,Indoor with a swing door
Standard unit 10x10 ft,129,monthly,Indoor or drive-up depending on availability
Large unit 10x15 ft,169,monthly,Drive-up with a roll-up door
Extra-large unit 10x20 ft,219,monthly,Fits a three-bedroom house or a car
Warehouse unit 10x30 ft,299,monthly,Drive-up with power outlet for business tenants
Climate-controlled upgrade,20,monthly,Added to the rent of any first-floor indoor unit
24-hour access upgrade,15,monthly,Gate code works around the clock
Outdoor parking space,65,monthly,Uncovered gravel lot for cars and motorcycles
Covered RV and boat parking,115,monthly,Up to 40 feet with a dump station on site
Protection plan 2000 USD cover,12,monthly,Fire and flood and theft and vermin
Protection plan 5000 USD cover,19,monthly,Same cover with a higher limit
Protection plan 10000 USD cover,29,monthly,Same cover with the highest limit
Administration fee,25,once,Charged when you sign the rental agreement
Disc lock,18,once,Cut-resistant with two keys
Small moving box,2.50,each,Books and kitchenware
Large moving box,4.00,each,Bedding and lampshades
Packing kit,59,once,Twenty boxes plus tape and bubble wrap for a one-bedroom move
Late fee,20,per late payment,Added to the account after the grace period
Lock cut-off service,45,once,For tenants who lost their key and can prove their identity
"""

STORAGE_TERMS_SECTIONS = [
    (
        "1. Term of the rental",
        "The rental runs from month to month, starting on the move-in date. Either party may "
        "end it by giving at least 10 days' written notice before the next billing date. Rent "
        "is not refunded for part of a month.",
    ),
    (
        "2. Rent and payment",
        "Rent is due in advance on the 1st of every month. Tenants who move in during the "
        "month pay a pro-rated first month. We accept card, bank transfer and automatic "
        "monthly card payments; cash is accepted at the office only.",
    ),
    (
        "3. Late payment",
        "If rent is not received within 5 days of the due date, a late fee is added to the "
        "account. After 10 days the tenant's gate code is suspended and an overlock is placed "
        "on the unit until the balance is paid in full.",
    ),
    (
        "4. Default and sale of contents",
        "When rent remains unpaid for 60 days, the tenant is in default. We will send a notice "
        "of lien sale by certified mail and email to the last address given, and if the debt "
        "is still unpaid 30 days later the contents may be sold at public auction or disposed "
        "of. Any money left after the debt and the costs of the sale is returned to the tenant.",
    ),
    (
        "5. Prohibited items",
        "The tenant may not store anything flammable, explosive or toxic, including petrol, "
        "gas bottles, paint thinners and fireworks. Food, perishable goods, plants and live "
        "animals are not allowed, nor are firearms, ammunition, stolen goods or illegal drugs.",
    ),
    (
        "6. Use of the unit",
        "The unit is for storage only. Nobody may live or sleep in it, and it may not be used "
        "as a workshop, office or rehearsal space. Electrical appliances may not be plugged in "
        "or run inside the unit.",
    ),
    (
        "7. Liability and insurance",
        "Keystone does not take custody of stored goods and is not responsible for loss of or "
        "damage to them from any cause, including fire, water, theft or pests, unless caused "
        "by our own negligence. The tenant must keep the goods insured for their full value.",
    ),
    (
        "8. Rent increases",
        "We may change the rent with at least 30 days' written notice. The rent for an "
        "existing rental is raised no more than once in any 12 months.",
    ),
    (
        "9. Entry by the facility",
        "We may enter the unit, cutting the lock if needed, in an emergency, when required by "
        "the police or a court order, or to carry out repairs. Except in an emergency we give "
        "the tenant 48 hours' notice first.",
    ),
    (
        "10. Contact details",
        "Tenants must tell us in writing of any change of postal address, email or phone "
        "number. Notices sent to the last details given are treated as received.",
    ),
    (
        "11. Transfer and subletting",
        "This agreement is personal to the tenant and may not be transferred or sublet to "
        "anyone else. Moving to another unit at the facility is possible at any time under a "
        "new agreement at the current price of that unit.",
    ),
    (
        "12. Moving out",
        "At the end of the rental the unit must be empty, swept clean and without the tenant's "
        "lock. If rubbish or belongings are left behind, a cleaning and disposal charge of 75 "
        "dollars applies.",
    ),
]

# (question, phrase found in exactly one answer chunk)
QUESTIONS: list[tuple[str, str]] = [
    # FAQ
    ("what time does your office close on saturday", "Saturday from 9 am to"),
    ("can I get to my storage unit late at night like eleven pm", "from 6 am to 10 pm"),
    ("how do I go about renting a space", "call us on 555-0188"),
    ("does it cost anything to hold a unit for a few days", "reservation is free"),
    (
        "I'm moving out of a one bedroom apartment, how big a space do I need",
        "one-bedroom flat",
    ),
    ("do you have units that stay warm in winter, I have a piano", "heated and cooled"),
    ("are there cameras, how safe is my stuff there", "48 HD cameras"),
    ("do you give me a padlock or do I bring my own", "tenant's own padlock"),
    ("can I pull my car right up to the door to unload", "drive-up access"),
    ("is there a lift to get my things upstairs", "two freight elevators"),
    ("do you lend out a van for moving day", "15-foot moving truck"),
    ("can my husband get in too with his own code", "authorised users"),
    ("I run an online shop, can you take in my deliveries", "Business customers can have"),
    ("I need somewhere to keep my camper over the winter", "trailers up to 40 feet"),
    ("what's the shortest time I can rent for", "the minimum stay is one month"),
    ("is there a deal for college kids over the summer", "Students get 20 percent off"),
    ("do you sell cardboard boxes", "boxes in four sizes"),
    ("can I bring back the boxes I didn't use", "Unused boxes can be returned"),
    ("where exactly are you", "2200 Industrial Parkway"),
    ("will my homeowners policy cover my things while they're with you", "kept away from home"),
    # price list
    ("how much is one of those little lockers", "Item: Locker 3x3 ft"),
    ("what's the monthly rate for a five by ten", "Item: Medium unit 5x10 ft"),
    ("price for a ten by ten", "Item: Standard unit 10x10 ft"),
    (
        "I need room for everything in a three bedroom house, what would that run me",
        "Item: Extra-large unit 10x20 ft",
    ),
    ("how much extra for a temperature controlled unit", "Item: Climate-controlled upgrade"),
    ("what does it cost to park my motorbike outside", "Item: Outdoor parking space"),
    ("monthly fee to keep a boat with you", "Item: Covered RV and boat parking"),
    ("what's your cheapest insurance option", "Item: Protection plan 2000 USD cover"),
    (
        "how much to insure about ten thousand dollars worth of stuff",
        "Item: Protection plan 10000 USD cover",
    ),
    ("is there a sign-up fee", "Item: Administration fee"),
    ("how much are those disc padlocks", "Item: Disc lock"),
    ("what does a big moving box cost", "Item: Large moving box"),
    ("do you sell a bundle of everything I need to pack up an apartment", "Item: Packing kit"),
    ("what do you charge if I pay the rent late", "Item: Late fee"),
    ("I lost the key to my lock, what does it cost to get it cut off", "Item: Lock cut-off"),
    # rental terms
    ("if I want to move out how much warning do I have to give you", "next billing date"),
    ("if I leave halfway through the month do I get money back", "not refunded for part"),
    ("what day is the rent due", "due in advance on the 1st"),
    ("can I pay in cash", "cash is accepted at the office only"),
    ("I'm a bit behind on rent, are you going to lock me out", "gate code is suspended"),
    ("what happens to my stuff if I don't pay for a couple of months", "notice of lien sale"),
    ("can I keep gasoline cans in the unit", "gas bottles"),
    ("am I allowed to store my hunting rifle there", "firearms, ammunition"),
    ("can we use the unit as a practice room for our band", "rehearsal space"),
    ("can I plug in a fridge inside the unit", "Electrical appliances may not"),
    ("if there's a flood and my stuff is ruined, do you pay for it", "our own negligence"),
    ("how often can you put my price up", "no more than once in any 12 months"),
    ("will your staff ever go into my unit without me there", "48 hours' notice"),
    ("can my brother take over my rental when I move away", "transferred or sublet"),
    ("what if I leave some junk behind when I move out", "cleaning and disposal charge"),
]
