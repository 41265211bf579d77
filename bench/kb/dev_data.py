"""The development sets: the only data the fusion was chosen on.

Five businesses (a car repair garage, a fitness club, a guesthouse, a plumber, a restaurant)
with different documents and questions from the retrieval set in
bench/kb/quality_data.py, which stays untouched for the final report. Same conventions:
each question names a phrase that occurs in exactly one answer chunk of its business.
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

# A second development business, added in session 2 so the fusion is chosen on more than one
# kind of document: a fitness club. Written fresh; nothing taken from the retrieval set.
GYM_FAQ = """# Harbour Fitness Club - Frequently Asked Questions

## When is the club open?
The gym floor is open from 5:30 am to 11 pm on weekdays and from 7 am to 8 pm at weekends.
On public holidays we close at 4 pm.

## Is there parking?
Members park free for up to three hours in the underground garage; validate your ticket at
reception. Bicycle racks are by the main entrance.

## Can I bring a friend?
Each member may bring one guest per month at no charge. Guests must be over 16 and sign a
health declaration at the desk.

## Do you have a swimming pool?
Our 25-metre indoor pool is heated to 28 degrees. Lane swimming is reserved for adults
before 9 am and after 7 pm.

## Are there lockers and towels?
Day lockers take a one-euro coin that is returned. Towels can be hired at reception; bring
your own padlock for the long-term lockers.

## Can my children come along?
The creche looks after children aged six months to five years for up to ninety minutes
while parents train. Teenagers from 14 can use the gym floor after an induction.

## Do I get help when I start?
Every new member gets a free induction with a coach who shows the machines and writes a
first training plan.

## How do I book a class?
Classes open for booking seven days ahead in the app. Spots not claimed five minutes before
the start are given to people on the waiting list.

## Is there a sauna?
A Finnish sauna and a steam room are next to the changing rooms. Swimwear is required and
the sauna area is adults only.

## Can I freeze my membership?
Memberships can be paused for one to three months a year for travel, illness or pregnancy,
with a small monthly holding fee.

## Do you offer physiotherapy?
A sports physiotherapist works at the club on Tuesdays and Thursdays. Sessions are booked
through reception and many insurers reimburse them.
"""

GYM_PRICES_CSV = """Product,Price (EUR),Billing,Notes
Standard membership,39,monthly,Gym floor and group classes
Premium membership,59,monthly,Adds pool sauna and two guest passes
Student membership,25,monthly,Valid student card required
Off-peak membership,29,monthly,Entry between 10 am and 4 pm only
Day pass,12,once,No joining fee
Ten-visit card,95,once,Valid for six months
Joining fee,30,once,Waived in January
Personal training session,45,per hour,Packs of ten at 400
Creche,4,per visit,Book a day ahead
Towel hire,2,per visit,Washed on site
Body composition scan,15,once,Results emailed the same day
Swimming lessons for children,60,per term,Ten weekly lessons in small groups
"""

GYM_TERMS = """# Membership terms

## Minimum term
Monthly memberships run for at least six months; after that they continue month by month.

## Cancelling
Give one full calendar month of notice in writing or in the app. Members who move more than
40 km away may leave early with proof of address.

## Payment
Fees are taken by direct debit on the first of the month. A failed payment adds a 7 euro
charge and entry is blocked until the balance is paid.

## Conduct
Wipe down equipment after use and return weights to the racks. Members who harass others
lose their membership without a refund.

## Lost property
Items left behind are kept at reception for four weeks and then given to charity.

## Health
Tell a coach about any injury or medical condition before training. Staff trained in first
aid are on duty at all opening hours and a defibrillator hangs at reception.
"""

GYM_QUESTIONS = [
    ("how late can I work out on a tuesday", "5:30 am to 11 pm"),
    ("what time do you shut on christmas and bank holidays", "close at 4 pm"),
    ("where do I leave my car", "underground garage"),
    ("can I ride my bike there", "Bicycle racks"),
    ("can my mate come with me for free", "one guest per month"),
    ("how warm is the water", "heated to 28 degrees"),
    ("when can adults swim laps", "Lane swimming is reserved"),
    ("do I need money for the lockers", "one-euro coin"),
    ("is there childcare while I exercise", "creche looks after"),
    ("from what age can my son use the weights", "Teenagers from 14"),
    ("will someone show me how the equipment works", "free induction"),
    ("how far in advance can I reserve a spin class", "seven days ahead"),
    ("what if a class is full", "waiting list"),
    ("do you have a steam room", "Finnish sauna"),
    ("can I pause my plan while I'm abroad", "paused for one to three months"),
    ("is there someone who can treat my sore knee", "sports physiotherapist"),
    ("how much is the basic plan", "Standard membership"),
    ("which membership includes the swimming pool", "Premium membership"),
    ("is there a discount for university students", "Student membership"),
    ("cheaper option if I only come during the day", "Off-peak membership"),
    ("can I just come once without signing up", "Day pass"),
    ("do you sell a pack of visits", "Ten-visit card"),
    ("is there a sign-up charge", "Joining fee"),
    ("how much does a trainer cost", "Personal training session"),
    ("what do I pay to leave my toddler in the nursery", "Product: Creche;"),
    ("can I rent a towel and how much", "Towel hire"),
    ("can you measure my body fat", "Body composition scan"),
    ("do you teach kids to swim", "Swimming lessons for children"),
    ("how long am I tied into the contract", "at least six months"),
    ("how do I end my membership", "one full calendar month of notice"),
    ("I'm relocating to another city, can I quit early", "40 km away"),
    ("what happens if my direct debit bounces", "failed payment"),
    ("when is the monthly fee collected", "first of the month"),
    ("do I have to clean the machines after using them", "Wipe down equipment"),
    ("I left my water bottle at the gym last week", "kept at reception for four weeks"),
    ("is there a defibrillator", "defibrillator hangs"),
    ("I have a bad back, should I tell anyone", "any injury or medical condition"),
    ("does my health insurance cover physio", "insurers reimburse"),
    ("do guests need to fill in a form", "health declaration"),
    ("is the joining fee ever waived", "Waived in January"),
]

# A third development business (session 2): a small guesthouse.
GUESTHOUSE_FAQ = """# Old Mill Guesthouse - Guest Information

## Arrival and departure
Check-in is from 3 pm to 9 pm at the front desk. Rooms must be vacated by 10:30 am on the
day you leave; luggage can stay in the storeroom until evening.

## Arriving late
If you will arrive after 9 pm, call ahead and we will leave your key in a coded box by the
door with instructions sent by text message.

## Breakfast
A cooked breakfast is served in the conservatory from 7:30 to 9:30 am. Vegan and gluten-free
options are available if you let us know the night before.

## Pets
Well-behaved dogs are welcome in our two garden rooms. Dogs may not be left alone in the
room and are not allowed in the breakfast room.

## Getting here
The guesthouse is a ten-minute walk from the railway station. We have six parking spaces on
a first-come basis and an electric charging point.

## Internet
Free wifi reaches every room; the password is printed on the card on your desk.

## Accessibility
One ground-floor room has a level-access shower and grab rails. Upper floors are reached by
stairs only, as the old building has no lift.

## Things to do
Walking maps for the river trail are at reception, and we can book kayak hire and guided
cellar tours at the local winery.
"""

GUESTHOUSE_PRICES_CSV = """Room,Price per night (GBP),Sleeps,Notes
Single room,75,1,Shared bathroom on the landing
Double room,110,2,Ensuite with shower
Garden room,125,2,Own patio and dogs allowed
Family suite,165,4,Two bedrooms and a sofa bed
Extra bed,20,1,Folding bed for a child under 12
Dog fee,10,none,Per dog per night including a bed and bowls
Packed lunch,9,1,Order by 8 pm the day before
"""

GUESTHOUSE_POLICIES = """# Booking policies

## Deposit
A deposit of one night's rate is taken when you book and is deducted from your final bill.

## Cancellation
Cancel up to 7 days before arrival for a full refund of the deposit. Later cancellations
keep the deposit unless we manage to re-let the room.

## Children
Children of all ages are welcome; cots and high chairs are free on request.

## Smoking
The whole building is non-smoking. A cleaning charge of 150 pounds applies if anyone smokes
indoors.

## Quiet hours
Please keep noise down between 10 pm and 7 am out of respect for other guests.

## Damage
Guests are responsible for damage beyond normal wear and will be charged for repairs.
"""

GUESTHOUSE_QUESTIONS = [
    ("what time can we get into our room", "Check-in is from 3 pm"),
    ("when do we have to leave on the last morning", "vacated by 10:30 am"),
    ("our train gets in at midnight, how do we get in", "coded box"),
    ("what time is breakfast", "served in the conservatory"),
    ("I don't eat gluten, is that a problem at breakfast", "gluten-free options"),
    ("can we bring our dog", "Well-behaved dogs are welcome"),
    ("how far is it from the station", "ten-minute walk"),
    ("is there somewhere to charge my electric car", "electric charging point"),
    ("what's the wifi password", "password is printed"),
    ("I use a wheelchair, do you have a suitable room", "level-access shower"),
    ("is there an elevator", "no lift"),
    ("can you arrange a canoe trip", "kayak hire"),
    ("how much is a room for one person", "Single room"),
    ("price of a room for a couple with its own bathroom", "Double room"),
    ("we are two adults and two kids, what room do you suggest", "Family suite"),
    ("can you add a bed for our daughter", "Extra bed"),
    ("is there a charge for the dog", "Dog fee"),
    ("can we get sandwiches to take on our hike", "Packed lunch"),
    ("do I have to pay anything up front", "deposit of one night"),
    ("will I get my money back if I cancel", "full refund of the deposit"),
    ("do you have a cot for a baby", "cots and high chairs"),
    ("can I smoke in my room", "non-smoking"),
    ("is it noisy at night", "keep noise down"),
    ("what if we break something", "responsible for damage"),
    ("can I leave my suitcase after checking out", "luggage can stay"),
    ("is the dog allowed at breakfast", "not allowed in the breakfast room"),
    ("can I park at the guesthouse", "six parking spaces"),
    ("are there maps for walks nearby", "Walking maps"),
    ("can we visit a winery", "cellar tours"),
    ("does the single room have its own toilet", "Shared bathroom on the landing"),
]

# A fourth development business (session 3): a plumbing and heating firm, with its terms as
# a PDF so the development sets also cover PDF extraction. Written, questions included,
# before any measurement on it.
PLUMBER_FAQ = """# Brightwater Plumbing & Heating - Common Questions

## Do you offer emergency call-outs?
Our engineers are on call 24 hours a day, every day of the year, for burst pipes, floods and
total loss of heating. Outside office hours an emergency surcharge applies.

## How quickly can you come out?
For emergencies we aim to arrive within two hours anywhere in the city. Routine jobs are
usually booked within three working days.

## Are your engineers qualified?
All our heating engineers are Gas Safe registered and carry their ID card on every visit;
you can check the number on the register before letting anyone in.

## Which boilers do you install?
We fit combi, system and heat-only boilers from the leading makers, and we are accredited
installers of air source heat pumps.

## What should I do if I smell gas?
Leave the property, do not use light switches and call the national gas emergency line at
once. We cannot attend a suspected gas leak before the gas network has made it safe.

## Can you unblock drains?
Blocked sinks, toilets and outside drains are cleared with rods or a high-pressure jetter,
and a camera survey shows the cause if the blockage comes back.

## Do you give free quotes?
Quotes for new boilers, bathrooms and heating systems are free and come after a home survey.
Repairs are charged by the hour after the first visit.

## Do I need to be home during the work?
Someone over 18 must be present to let us in and to sign off the job at the end. Key
holders such as neighbours or letting agents are fine.

## Do you work for landlords?
We carry out the annual landlord gas safety certificate and can remind you each year when
the next one is due.

## Will you clean up after the job?
Engineers put down dust sheets, wear shoe covers indoors and take all old pipes and packaging
away with them.
"""

PLUMBER_PRICES_CSV = """Job,Price (GBP),Duration,Details
Call-out and first hour,85,1 hour,Weekdays 8 am to 6 pm
Emergency call-out,140,1 hour,Evenings weekends and bank holidays
Each additional half hour,35,30 minutes,Charged after the first hour
Annual boiler service,95,1 hour,Flue gas analysis and safety checks
Landlord gas safety certificate,70,45 minutes,Up to three gas appliances
Power flush,450,1 day,Clears sludge from radiators and pipes
Radiator replacement,220,2 hours,Same size radiator supplied and fitted
Thermostatic radiator valve,55,30 minutes,Per valve fitted
Drain unblocking,120,1 hour,Jetting included
CCTV drain survey,180,1 hour,Recorded video and written report
Tap replacement,75,1 hour,Customer may supply the tap
Combi boiler installation,2400,2 days,Includes a ten year manufacturer warranty
"""

PLUMBER_TERMS_SECTIONS: list[tuple[str, str]] = [
    (
        "Payment",
        "Payment is due on completion of the work by card or bank transfer. Installations "
        "over 1,000 pounds require a 25 percent deposit when the order is placed.",
    ),
    (
        "Guarantee on workmanship",
        "Our workmanship is guaranteed for two years from the date of the job. Parts carry "
        "the manufacturer's own guarantee.",
    ),
    (
        "Missed appointments",
        "If nobody is home at the agreed time and we were not told at least four hours in "
        "advance, a wasted visit fee of 40 pounds is charged.",
    ),
    (
        "Access and parking",
        "Customers must provide clear access to the boiler, stopcock and work area. Parking "
        "permits or charges near the property are added to the invoice.",
    ),
    (
        "Price changes",
        "If we find hidden damage once work has begun, we explain the extra work and agree a "
        "new price with you before we carry on.",
    ),
    (
        "Complaints",
        "Write to the office manager within 28 days of the job. Unresolved complaints can be "
        "referred to the independent trade ombudsman.",
    ),
]

PLUMBER_QUESTIONS: list[tuple[str, str]] = [
    ("my pipe just burst in the middle of the night, can someone come", "on call 24 hours"),
    ("how fast can you get here if it's urgent", "within two hours"),
    ("how long is the wait for a normal job", "three working days"),
    ("are your guys certified to work on gas", "Gas Safe registered"),
    ("do you put in heat pumps", "air source heat pumps"),
    ("I think I can smell gas in the kitchen", "national gas emergency line"),
    ("my toilet is blocked, can you help", "Blocked sinks, toilets"),
    ("do you charge to come and give me a price for a new boiler", "free and come after"),
    ("does somebody need to be in the house", "Someone over 18 must be present"),
    ("I rent out a flat, do you do the yearly gas check", "annual landlord gas safety"),
    ("will you make a mess in my house", "dust sheets"),
    ("what's your hourly rate", "Call-out and first hour"),
    ("how much extra on a sunday", "Emergency call-out"),
    ("what do you charge if the job runs over", "Each additional half hour"),
    ("how much to get my boiler serviced", "Annual boiler service"),
    ("what does the landlord certificate cost", "Job: Landlord gas safety"),
    ("my radiators are cold at the bottom, what does cleaning the system cost", "Power flush"),
    ("how much to swap an old radiator", "Radiator replacement"),
    ("price of fitting a valve on a radiator", "Thermostatic radiator valve"),
    ("can you put a camera down my drain and how much", "CCTV drain survey"),
    ("my kitchen tap drips, how much to replace it", "Tap replacement"),
    ("what does a new combi boiler cost all in", "Combi boiler installation"),
    ("when do I have to pay you", "due on completion"),
    ("do I pay anything up front for a new boiler", "25 percent deposit"),
    ("how long is your work guaranteed", "guaranteed for two years"),
    ("what if I forget I booked you and I'm out", "wasted visit fee"),
    ("who pays for parking outside my house", "Parking permits"),
    ("what if you find more problems once you start", "hidden damage"),
    ("I'm not happy with the job, how do I complain", "office manager within 28 days"),
    ("can I buy the tap myself", "Customer may supply"),
    ("is the warranty on a new boiler included", "ten year manufacturer warranty"),
    ("do you show ID when you arrive", "ID card"),
]

# A fifth development business (session 3): a restaurant, its house rules as plain text.
RESTAURANT_FAQ = """# Olive & Ember Restaurant - Guest FAQ

## When are you open?
Lunch is served Tuesday to Sunday from noon to 2:30 pm and dinner from 6 pm to 10 pm. We are
closed on Mondays.

## Do I need a reservation?
Tables can be reserved online up to sixty days ahead. We keep a few tables for walk-ins, and
the bar counter is always first come, first served.

## Can you cater for allergies?
Our kitchen handles nuts, gluten and shellfish, so we cannot promise a dish is free of
traces. Tell your server about any allergy and the chef will adapt your meal.

## Do you have vegetarian dishes?
About half of the menu is vegetarian and every course has at least one vegan choice, marked
with a green leaf.

## Is there a children's menu?
Children under ten can order from a small menu of half portions, and we have high chairs
and crayons on request.

## Can we hold a private party?
The upstairs room seats up to 30 guests for birthdays, weddings and work dinners, with a set
menu chosen in advance.

## Do you offer takeaway?
Most dishes can be ordered for collection by phone; we do not run our own delivery.

## Is the restaurant accessible?
The ground-floor dining room and the toilets are step-free; the upstairs room is reached by
stairs only.

## Can I bring my own wine?
Guests may bring their own bottle of wine on weeknights for a corkage fee.

## Do you sell gift vouchers?
Gift vouchers for any amount can be bought at the bar or on our website and are valid for
one year.
"""

RESTAURANT_MENU_CSV = """Dish,Price (USD),Course,Description
Charred sourdough,7,starter,With whipped olive oil butter
Burrata,14,starter,Roasted tomatoes and basil oil
Grilled octopus,18,starter,Smoked paprika and potato
Wood-fired margherita,16,main,Tomato mozzarella and basil
Lamb shoulder,32,main,Slow cooked for eight hours with rosemary
Mushroom risotto,22,main,Vegan with cashew cream
Sea bass,29,main,Whole fish with fennel salad
Tiramisu,10,dessert,Made with espresso from a local roaster
Chocolate fondant,11,dessert,Takes fifteen minutes to bake
Kids pasta,8,children,Butter or tomato sauce
Corkage,15,drinks,Per bottle brought by guests
House wine carafe,24,drinks,Half litre of red or white
"""

RESTAURANT_POLICIES_TXT = """House rules for bookings

Groups of eight or more pay a deposit of 20 dollars per person when booking, deducted from
the bill on the night.

If you cancel less than 48 hours before a group booking the deposit is kept.

Tables are held for fifteen minutes after the booking time; after that we may give the table
to waiting guests.

A discretionary service charge of 12 percent is added to bills for groups of six or more.

Dogs on a lead are welcome on the terrace but not inside the dining room.

Smart casual dress is expected in the evening; sportswear is fine at lunch.
"""

RESTAURANT_QUESTIONS: list[tuple[str, str]] = [
    ("are you open on monday night", "closed on Mondays"),
    ("what time does the kitchen close for lunch", "noon to 2:30 pm"),
    ("how far ahead can I book a table", "sixty days ahead"),
    ("can we just turn up without booking", "walk-ins"),
    ("my daughter has a peanut allergy, is it safe", "cannot promise a dish is free"),
    ("do you have food for vegans", "at least one vegan choice"),
    ("have you got smaller plates for kids", "half portions"),
    ("we'd like to hire a room for a birthday", "upstairs room seats up to 30"),
    ("can I order food to pick up", "ordered for collection"),
    ("do you deliver", "do not run our own delivery"),
    ("I use a wheelchair, can I get in", "step-free"),
    ("can we bring a bottle with us", "bring their own bottle"),
    ("can I buy a voucher as a present", "Gift vouchers for any amount"),
    ("how long is a gift card good for", "valid for one year"),
    ("what's the bread starter and how much", "Charred sourdough"),
    ("how much is the octopus", "Grilled octopus"),
    ("do you do pizza", "Wood-fired margherita"),
    ("what's the lamb like", "Lamb shoulder"),
    ("is the risotto vegan", "Mushroom risotto"),
    ("what fish do you have", "Sea bass"),
    ("why does the chocolate pudding take so long", "Chocolate fondant"),
    ("how much is pasta for a child", "Kids pasta"),
    ("how much do you charge to open our own wine", "Dish: Corkage"),
    ("what does a jug of house wine cost", "House wine carafe"),
    ("do we need to pay a deposit for a big group", "deposit of 20 dollars"),
    ("what if our group cancels the day before", "less than 48 hours"),
    ("we're running late, will you keep our table", "held for fifteen minutes"),
    ("is service included in the bill", "service charge of 12 percent"),
    ("can I bring my dog", "Dogs on a lead"),
    ("is there a dress code", "Smart casual"),
]
