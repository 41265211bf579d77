"""The development set: the only data the fusion weights were chosen on.

A different business (a car repair garage) and different questions from the retrieval set
in bench/kb/quality_data.py, which stays untouched for the final report. Same conventions:
each question names a phrase that occurs in exactly one answer chunk.
"""

GARAGE_FAQ = """# Northgate Auto Service - Questions and Answers

## What are your opening hours?
The workshop is open Monday to Friday from 8 am to 6 pm and on Saturday mornings from 8 am
to noon. The office answers the phone from 7:30 am.

## Do I need to book a service?
Bookings are recommended and can be made online or by calling 555-0199. Quick jobs such as
bulb or wiper replacements are done without a booking while you wait.

## Can I wait while my car is being repaired?
Our lounge has coffee, wifi and a children's corner. For jobs longer than two hours we
suggest leaving the car and using our free shuttle to the train station.

## Do you offer a courtesy car?
A small fleet of loan cars is available for repairs lasting a full day. Reserve one when
you book; a valid driving licence and a credit card are required.

## Which brands do you repair?
Our technicians are trained on all major European, Japanese and Korean makes. Electric and
hybrid vehicles are serviced by two certified high-voltage technicians.

## Will servicing with you affect my manufacturer warranty?
No. We follow the manufacturer's schedule and use parts of matching quality, so your new
car warranty stays valid.

## How do I know what is wrong with my car?
Every repair starts with a diagnostic check. We send photos and a written quote by text
message and never start work before you approve it.

## Can you pick up my car from home?
A collection and delivery service runs within eight miles of the workshop for a flat fee.
The driver collects the keys and returns the car the same evening.

## Do you do state inspections?
Yes, we are an approved inspection station. Inspections take about forty minutes and can be
booked for the same day on weekdays.

## What happens to my old parts?
Old parts are kept for you to inspect if you ask when dropping off. Otherwise batteries,
oil and metal parts are recycled by licensed partners.

## Do you store seasonal tyres?
We store winter or summer wheels in our heated storage hall and swap them in spring and
autumn. Each set is labelled, washed and checked for tread depth.

## How can I pay?
We accept cards, bank transfer and cash. Repairs over 1,000 dollars can be split into three
monthly payments with no interest.
"""

GARAGE_PRICES_CSV = """Service,Price (USD),Time,Notes
Oil and filter change,69,45 minutes,Synthetic oil up to five litres
Full annual service,249,3 hours,Includes a 60-point check
Brake pads (front axle),180,90 minutes,Discs measured and reported
Brake fluid replacement,75,40 minutes,Recommended every two years
Tyre fitting and balancing,20,per wheel,Valve replacement included
Wheel alignment,85,1 hour,Printout of before and after angles
Air conditioning recharge,110,1 hour,Leak test included
Battery replacement,150,30 minutes,Old battery recycled free
Windscreen chip repair,45,30 minutes,Often free with comprehensive cover
Diagnostic check,60,1 hour,Deducted from the repair if you go ahead
Timing belt replacement,420,5 hours,Water pump replaced at the same time
Clutch replacement,780,1 day,Courtesy car recommended
State inspection,35,40 minutes,Retest within 30 days is free
Collection and delivery,25,none,Within eight miles
Seasonal tyre storage,90,per season,Includes the wheel swap
"""

GARAGE_TERMS = """# Terms of repair

## Estimates
Written estimates are valid for 30 days. If a repair will cost more than 10 percent above
the estimate, we stop and ask for your approval before continuing.

## Parts warranty
Parts we fit are guaranteed for 12 months or 12,000 miles, whichever comes first. Labour is
guaranteed for the same period.

## Uncollected vehicles
Cars not collected within seven days of completion are charged a storage fee of 15 dollars
per day.

## Customer-supplied parts
We can fit parts you bring, but no warranty is given on customer-supplied parts or on the
labour to fit them.

## Cancellations
Bookings cancelled with less than 24 hours notice may be charged the diagnostic fee if a
technician had already been assigned.

## Complaints and disputes
Tell the service manager first; if we cannot agree, we accept mediation through the
regional motor trade association.
"""

# (question, phrase found in exactly one answer chunk)
DEV_QUESTIONS: list[tuple[str, str]] = [
    ("are you open on saturday afternoons", "Saturday mornings from 8 am"),
    ("how do I get my car booked in", "555-0199"),
    ("is there somewhere to sit while I wait", "lounge has coffee"),
    ("can I borrow a car while mine is in the shop", "loan cars"),
    ("do you work on electric cars", "high-voltage technicians"),
    ("will my new car guarantee still be valid if you service it", "warranty stays valid"),
    ("will you fix things without asking me first", "never start work before you approve"),
    ("can someone fetch the car from my house", "collection and delivery service runs"),
    ("can I get my yearly safety inspection done here", "approved inspection station"),
    ("can I keep the parts you take off", "Old parts are kept"),
    ("where can I keep my winter wheels", "heated storage hall"),
    ("can I spread the cost of a big repair", "monthly payments with no interest"),
    ("how much is an oil change", "Oil and filter change"),
    ("price of a yearly service", "Full annual service"),
    ("what do new front brakes cost", "Brake pads (front axle)"),
    ("my steering pulls to one side, what does alignment cost", "Wheel alignment"),
    ("my aircon blows warm air, how much to fix", "Air conditioning recharge"),
    ("car won't start, how much is a new battery", "Battery replacement"),
    ("a stone chipped my windscreen", "Windscreen chip repair"),
    ("what do you charge to find out what's wrong", "Diagnostic check"),
    ("cost of changing the cambelt", "Timing belt replacement"),
    ("how much for a new clutch", "Clutch replacement"),
    ("what if the car fails inspection, is the retest charged", "State inspection"),
    ("how long is my quote valid", "Written estimates are valid"),
    ("what if the repair ends up costing more than quoted", "10 percent above"),
    ("how long are repairs guaranteed", "12 months or 12,000 miles"),
    ("what if I leave my car at the garage for two weeks", "storage fee of 15 dollars"),
    ("can I bring my own parts", "customer-supplied parts"),
    ("is there a fee if I cancel my booking late", "less than 24 hours notice"),
    ("I'm unhappy with the repair, who do I talk to", "service manager"),
    ("does the office pick up the phone before the workshop opens", "answers the phone from"),
    ("can you replace a wiper blade without an appointment", "bulb or wiper replacements"),
    ("is there a bus to the station while my car is repaired", "free shuttle"),
    ("what do I need to take a loan car", "driving licence and a credit card"),
    ("do you repair Korean cars like Kia", "European, Japanese and Korean makes"),
    ("will you send me pictures of the damage", "send photos and a written quote"),
    ("what happens to the old oil and battery", "recycled by licensed partners"),
    ("do you check the tread on stored tyres", "checked for tread depth"),
    ("do you take cash", "bank transfer and cash"),
    ("how often should brake fluid be changed", "Brake fluid replacement"),
    ("how much to fit new tyres", "Tyre fitting and balancing"),
    ("is the old battery disposal charged", "Battery replacement"),
    ("what does it cost to bring the car to my door", "Service: Collection and delivery;"),
    ("is the wheel swap included when you store my tyres", "Seasonal tyre storage"),
    ("is there any guarantee on labour", "Labour is"),
    ("can I go to mediation if we disagree", "motor trade association"),
]
