"""The third held-out retrieval set: a pet boarding and grooming business and 50 spoken-style
questions.

Sealed: written on 2026-11-21 in one sitting, questions written from the documents before
anything was run, after the fusion in kb/search.py was chosen; never searched while being
written, never used to choose anything. Only the phrase-to-chunk mapping was checked (by
ingesting the files). Its documents are an FAQ web page (HTML), a price list (CSV) and
booking terms (PDF, built by bench/kb/quality.py). Each question names a phrase that occurs
in exactly one chunk: that chunk is the answer.
"""

PET_FAQ_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>FAQ - Maple Hollow Pet Resort</title>
<meta name="description" content="Answers to common questions about boarding, daycare and
grooming at Maple Hollow Pet Resort.">
</head>
<body>
<header>
<nav>
<a href="/">Home</a> | <a href="/boarding">Boarding</a> | <a href="/daycare">Daycare</a> |
<a href="/grooming">Grooming</a> | <a href="/faq">FAQ</a> | <a href="/contact">Contact</a>
</nav>
</header>
<main>
<article>
<h1>Maple Hollow Pet Resort - Frequently Asked Questions</h1>
<p>Kennel, cattery, grooming salon and doggy daycare under one roof. If your question is not
answered here, give the front desk a call.</p>

<h2>What are your opening hours?</h2>
<p>Reception is open Monday to Friday from 7 am to 7 pm and on Saturday from 8 am to 5 pm.
On Sunday from 9 am to noon we are open for drop-offs and collections only; the grooming
salon is closed on Sundays.</p>

<h2>How do I book a stay?</h2>
<p>Book through the customer portal on our website, phone us on 555-0173 or email the front
desk. School holidays and the Christmas period fill up months in advance, so for those dates
please book at least six weeks ahead.</p>

<h2>Which vaccinations does my dog need?</h2>
<p>Dogs must be vaccinated against distemper, parvovirus, hepatitis and leptospirosis. The
kennel cough vaccine is also required and must be given at least 14 days before the stay
begins, so that it has time to take effect.</p>

<h2>What about vaccinations for cats?</h2>
<p>Cats need an up-to-date vaccination against cat flu and enteritis, given by a vet no
later than two weeks before arrival. Please bring the vaccination card with you on the
first visit.</p>

<h2>Where will my dog sleep?</h2>
<p>Every dog has its own indoor suite with a heated floor and a raised bed, opening onto a
private outdoor run. Dogs from the same household can share a suite if they are used to
sleeping together.</p>

<h2>How much exercise will my dog get?</h2>
<p>Boarding dogs go out at least four times a day. Two of those outings are 20-minute walks
on our woodland trail with a member of staff; the others are play sessions in the paddock.</p>

<h2>Should I bring my pet's own food?</h2>
<p>You are welcome to bring your pet's usual food, portioned into labelled bags for each
day. Otherwise we feed a premium kibble at no extra charge, and a sudden change of diet is
rarely a problem for a short stay.</p>

<h2>Can you give my pet medication?</h2>
<p>Our team gives tablets, liquid medicine and eye drops at no charge. Diabetic pets are
welcome too: their injections are given by our veterinary nurse for a small daily fee.</p>

<h2>What happens if my pet becomes unwell?</h2>
<p>We work with the Orchard Veterinary Clinic, five minutes down the road, whose vets are on
call day and night. Staff check every animal at each feed and will contact you straight
away if they are worried.</p>

<h2>Are the cats kept away from the dogs?</h2>
<p>Yes. The cattery is a separate building, out of sight and sound of the kennels. Each cat
has a two-level chalet with a window shelf, a scratching post and a hiding box.</p>

<h2>Can I get updates while I am away?</h2>
<p>We post photos on the portal every day, and a short video call can be arranged on request
for longer stays. You are always welcome to phone the front desk for news.</p>

<h2>How does doggy daycare work?</h2>
<p>Dogs play in small groups matched by size and energy, with rest breaks in quiet rooms.
Before the first day every new dog comes in for a free temperament assessment of about two
hours, so we can be sure group play suits them.</p>

<h2>Do you take puppies and dogs that are not neutered?</h2>
<p>Puppies are welcome from 16 weeks once their first course of vaccinations is complete.
Entire males over a year old can board but do not join group play, and females in season
cannot stay with us at all.</p>

<h2>How long does a grooming appointment take?</h2>
<p>A full groom usually takes two to three hours, depending on the size and coat of your
dog. There is no need to wait: we will text you when your pet is ready to be collected.</p>

<h2>Can my pet bring its bed and toys?</h2>
<p>A favourite blanket or toy that smells of home helps many pets settle in. Please avoid
bringing anything valuable or bulky, as space in the suites and chalets is limited.</p>

<h2>Can you collect my pet from home?</h2>
<p>Yes, our air-conditioned pet taxi picks up and drops off pets within 15 miles of the
resort. Book it at the same time as the stay, and give us the address and a time window.</p>

<h2>Do you look after small animals?</h2>
<p>Rabbits, guinea pigs and hamsters stay in a quiet small-animal room away from both dogs
and cats. Please bring their cage if you can. We are not able to board birds or
reptiles.</p>

<h2>Where are you located?</h2>
<p>Maple Hollow is at 48 Orchard Lane, two miles north of town on Route 6, next to the
garden centre. There is plenty of parking and a fenced drop-off area by the entrance.</p>
</article>
</main>
<footer>
<p>Maple Hollow Pet Resort, Orchard Lane. Licensed animal boarding establishment.</p>
</footer>
</body>
</html>
"""

# No commas or semicolons inside fields, so the delimiter is never in doubt.
PET_PRICES_CSV = """Item,Price (USD),Unit,Notes
Small dog boarding,38,per night,Dogs under 10 kg including two woodland walks a day
Medium dog boarding,45,per night,Dogs from 10 to 25 kg
Large dog boarding,52,per night,Dogs over 25 kg in an extra-large suite
Shared suite second dog,30,per night,Second dog from the same household sharing one suite
Cat boarding,24,per night,Two-level chalet in the cattery
Shared chalet second cat,14,per night,Second cat from the same household
Small animal boarding,12,per night,Rabbits and guinea pigs and hamsters
Daycare full day,32,per day,Drop-off by 9:30 am and collection by 6:30 pm
Daycare half day,20,per session,Up to five hours in the morning or the afternoon
Daycare 10-day pass,290,per pass,Valid for three months from the first visit
Bath and brush small dog,35,per visit,Shampoo and blow-dry and nail trim
Bath and brush large dog,55,per visit,Shampoo and blow-dry and nail trim for dogs over 25 kg
Full groom,65,from,Bath and clip and ears and nails with the price depending on breed and coat
Puppy introduction groom,30,per visit,Gentle first salon visit for puppies under six months
Cat groom,60,per visit,Brushing and de-matting and a hygiene trim
Nail clipping,12,per visit,Walk-in on weekdays between 10 am and 4 pm
De-shedding treatment,25,add-on,For thick double coats such as huskies and retrievers
Flea treatment,18,once,Applied when we spot fleas at check-in
Diabetic injections,6,per day,Given twice daily by our veterinary nurse
Pet taxi,15,each way,Within 15 miles of the resort
Peak season surcharge,8,per night,Christmas and Easter and the months of July and August
"""

PET_TERMS_SECTIONS = [
    (
        "1. Bookings and deposits",
        "A booking is confirmed once a deposit of 25 percent of the total price has been "
        "paid. For stays that include Christmas Day or New Year's Day the full amount is "
        "payable when the booking is made.",
    ),
    (
        "2. Cancellations",
        "If you cancel more than 14 days before arrival, the deposit is refunded in full. "
        "Between 14 days and 72 hours before arrival the deposit is kept. Less than 72 hours "
        "before arrival, or if the pet does not arrive, the full price of the stay is charged.",
    ),
    (
        "3. Arrival and departure",
        "Pets may be dropped off and collected during reception hours only. Boarding is "
        "charged per night. Pets collected after 12 noon on the day of departure are charged "
        "a half day of daycare in addition to the nights booked.",
    ),
    (
        "4. Proof of vaccination",
        "The owner must show a vaccination record signed by a vet on arrival. A pet without "
        "valid proof cannot be admitted and the booking is treated as a late cancellation. We "
        "also accept a recent blood test showing immunity, signed by the vet who took it.",
    ),
    (
        "5. Fleas, ticks and worms",
        "Pets must have been treated against fleas within the last month and wormed within "
        "the last three months. If we find fleas or ticks during the stay, the pet is treated "
        "and the treatment is charged at the price list rate.",
    ),
    (
        "6. Veterinary care",
        "If a pet falls ill or is injured, we take it to our partner vet and try to reach the "
        "owner at once. All veterinary fees are paid by the owner. By booking, the owner "
        "authorises the resort to seek treatment if the owner cannot be reached in time.",
    ),
    (
        "7. Medication and special diets",
        "Medication must be handed over in its original packaging, with the pharmacy label "
        "and written instructions. Special diets must be supplied by the owner in sufficient "
        "quantity for the whole stay, plus two extra days.",
    ),
    (
        "8. Behaviour",
        "The owner must tell us about any history of biting or fighting. We may refuse a "
        "booking, or end a stay, if a pet shows aggression towards people or other animals. "
        "The owner pays for any damage the pet causes to the premises.",
    ),
    (
        "9. Group play",
        "Dogs in daycare and play sessions mix with other dogs under supervision. Minor "
        "scrapes, scratches and nicks can happen during normal play, and the resort is not "
        "liable for them. The owner may ask in writing for solo play only.",
    ),
    (
        "10. Coat condition",
        "If a coat is severely matted, we will clip it short for the animal's comfort instead "
        "of trying to brush the mats out, and a matting charge of 15 dollars per half hour "
        "applies. Very old or nervous pets are groomed at the owner's risk.",
    ),
    (
        "11. Grooming appointments",
        "Please arrive on time: if you are more than 15 minutes late, we may need to rebook. "
        "Grooming appointments cancelled with less than 24 hours' notice, or missed, are "
        "charged at 50 percent of the groom price.",
    ),
    (
        "12. Late collection",
        "Pets not collected on the agreed collection date are charged for every extra night "
        "at the current rate. A pet that is not collected within 14 days, and whose owner has "
        "not been in contact, is treated as abandoned and handed to a rescue charity.",
    ),
    (
        "13. Payment",
        "The balance is due on collection, before the pet is handed back. We accept cards, "
        "cash and bank transfer. Daycare passes and pet taxi trips are paid in advance.",
    ),
    (
        "14. Personal belongings",
        "Beds, blankets, toys, leads and bowls are left at the owner's risk. Please label "
        "every item with the pet's name. We are not liable for belongings that are chewed, "
        "damaged or lost during the stay.",
    ),
    (
        "15. Photographs",
        "We may share photographs of pets in our care on our website and social media "
        "channels. Owners who do not want this can opt out on the booking form at any time.",
    ),
    (
        "16. Pregnant and elderly pets",
        "Pregnant animals cannot be boarded. Pets over 12 years old need a health check by "
        "their own vet within the three months before the stay, and they board at the "
        "owner's risk.",
    ),
]

# (question, phrase found in exactly one answer chunk)
QUESTIONS: list[tuple[str, str]] = [
    # FAQ
    ("hi, um, can I drop off or pick up my dog on a sunday", "On Sunday from 9 am to noon"),
    (
        "how far ahead should I be booking if we're going away over christmas",
        "at least six weeks ahead",
    ),
    (
        "my dog only just had his kennel cough jab yesterday, is he okay to come in next week",
        "at least 14 days before",
    ),
    ("what shots does my cat need to stay with you", "cat flu and enteritis"),
    ("I've got two dogs, can they sleep in the same room together", "can share a suite"),
    ("how many times a day do the dogs actually get out", "four times a day"),
    ("do I need to bring his food or do you feed them", "premium kibble"),
    (
        "my cat's got sugar problems and needs shots twice a day, can you handle that",
        "Diabetic pets are",
    ),
    ("is there a vet close by in case something happens", "Orchard Veterinary Clinic"),
    (
        "my cat gets really stressed around dogs, is she going to be anywhere near them",
        "out of sight and sound",
    ),
    (
        "can I see how he's getting on while we're on holiday, like pictures or something",
        "photos on the portal",
    ),
    (
        "does my dog have to pass some kind of test before he can go to daycare",
        "temperament assessment",
    ),
    ("she might be in heat around then, is that a problem", "females in season"),
    ("how long does the grooming take, should I just wait there", "two to three hours"),
    ("I don't drive, can someone come and get my dog from the house", "air-conditioned pet taxi"),
    ("do you take bunnies as well or just cats and dogs", "Rabbits, guinea pigs"),
    ("where are you guys exactly", "48 Orchard Lane"),
    # price list
    ("how much is it per night for a little dog, like a chihuahua", "Item: Small dog boarding"),
    (
        "what would it cost to board my labrador, he's about thirty kilos",
        "Item: Large dog boarding",
    ),
    (
        "if both my dogs come and bunk together, is the second one any cheaper",
        "Item: Shared suite second dog",
    ),
    ("what do you charge a night for a cat", "Item: Cat boarding"),
    ("how much to look after my son's rabbit for a week", "Item: Small animal boarding"),
    ("what's the price for a whole day of doggy daycare", "Item: Daycare full day"),
    ("can I just do mornings for daycare and what does that cost", "Item: Daycare half day"),
    (
        "um, is there some kind of bundle deal if my dog comes to daycare a lot",
        "Item: Daycare 10-day pass",
    ),
    ("how much is just a wash for a big dog, no haircut", "Item: Bath and brush large dog"),
    ("what's a proper haircut going to cost me for my cockapoo", "Item: Full groom"),
    (
        "my puppy's four months old, do you have something gentle for her first time",
        "Item: Puppy introduction groom",
    ),
    ("do you do grooming for cats too and how much is it", "Item: Cat groom"),
    ("how much to just get his claws cut", "Item: Nail clipping"),
    ("my husky sheds like crazy, is there anything for that", "Item: De-shedding treatment"),
    ("what does the pick-up and drop-off service cost", "Item: Pet taxi"),
    ("is it more expensive over the summer holidays", "Item: Peak season surcharge"),
    # booking terms
    ("do I have to pay something upfront to hold the dates", "deposit of 25 percent"),
    (
        "if I cancel the day before, do I still have to pay for the whole stay",
        "Less than 72 hours",
    ),
    (
        "how early do I have to cancel to get my money back",
        "more than 14 days before arrival",
    ),
    (
        "if I pick him up in the afternoon on the last day is that extra",
        "collected after 12 noon",
    ),
    (
        "we don't do yearly boosters, our vet checks antibody levels instead, is that okay",
        "blood test showing immunity",
    ),
    ("does he need to have had flea stuff put on before he comes", "treated against fleas within"),
    ("who pays the vet bill if my cat gets sick while she's with you", "paid by the owner"),
    ("can I just put his tablets in a sandwich bag with a note", "original packaging"),
    (
        "my dog can be a bit snappy with other dogs, will you still take him",
        "shows aggression",
    ),
    (
        "what if my dog gets a little scratch playing with the others, is that on you",
        "Minor scrapes",
    ),
    ("his fur's all knotted up, do you charge more for that", "severely matted"),
    ("what happens if I forget my grooming appointment", "50 percent of the groom"),
    (
        "what if my flight gets cancelled and I can't come back for my dog on time",
        "agreed collection date",
    ),
    ("do I pay when I drop her off or when I pick her up", "balance is due on collection"),
    (
        "if my dog tears up his own bed while he's there, will you replace it",
        "chewed, damaged or lost",
    ),
    ("I'd rather you didn't put pictures of my dog on facebook", "opt out on the booking form"),
    ("my dog is expecting puppies, can she still stay with you", "Pregnant animals cannot"),
]
