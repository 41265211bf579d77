"""The retrieval set: three business documents and 50 paraphrased questions.

Written before any measurement and never used to tune code. Each question names a phrase
that occurs in exactly one chunk: that chunk is the answer.
"""

CLINIC_FAQ = """# Riverside Family Clinic - Frequently Asked Questions

## When is the clinic open?
The clinic is open Monday to Friday from 7:30 am to 7 pm, and on Saturdays from 9 am to 1 pm.
We are closed on Sundays and on public holidays.

## How do I book an appointment?
Appointments can be booked online through the patient portal, by phone on 555-0142, or at
the front desk. Same-day slots are released every morning at 7:30 am.

## Do you accept walk-in patients?
Walk-ins are welcome for minor illnesses between 8 am and 11 am on weekdays. Expect a wait
of up to an hour during flu season.

## What should I bring to my first visit?
Please bring a photo ID, your insurance card, a list of current medications and any recent
test results. Arrive 15 minutes early to complete the registration forms.

## Where can I park?
Free patient parking is available in the underground garage beneath the building. Take the
ticket at the entrance and have it validated at reception.

## Is the building wheelchair accessible?
Yes. The main entrance has a ramp, the elevators reach every floor, and accessible restrooms
are located next to the waiting area on each level.

## Can I get my prescription refilled without a visit?
Refill requests for ongoing medications can be sent through the patient portal. Allow two
business days; controlled substances always require a consultation.

## Do you offer telehealth consultations?
Video consultations are available for follow-ups, medication reviews and minor concerns.
Choose "video visit" when booking; a link is emailed 30 minutes before the start.

## How do I get my lab results?
Lab results are posted to the patient portal within three business days. A nurse will call
you directly if any result needs urgent attention.

## Do you vaccinate children?
Our pediatric team gives all routine childhood vaccinations. Vaccination clinics run every
Wednesday afternoon, and no appointment is needed for flu shots in October and November.

## What languages do your staff speak?
Besides English, our staff speak Spanish, Vietnamese and Arabic. Interpreters for other
languages can be arranged by phone at no cost if you ask when booking.

## Can I request a specific doctor?
You may choose a preferred physician when you register. If your doctor is unavailable, we
will offer the earliest slot with another member of the same care team.

## How do I transfer my medical records?
Sign the records release form at reception or in the portal and we will request your files
from your previous provider. Transfers usually take ten to fourteen days.

## Is there a pharmacy on site?
A independent pharmacy operates on the ground floor and is open until 8 pm on weekdays. It
can fill prescriptions from any prescriber, not only from our clinic.
"""

PRICE_LIST_CSV = """Service,Price (USD),Duration,Notes
Standard consultation,95,20 minutes,Covered by most insurance plans
Extended consultation,160,40 minutes,For complex or multiple concerns
Telehealth video visit,75,15 minutes,Follow-ups and prescription reviews
Annual physical exam,210,60 minutes,Includes basic blood panel
Sports physical,60,30 minutes,Form signed the same day
Flu vaccine,35,10 minutes,Free for patients over 65
Travel vaccination consultation,120,30 minutes,Vaccines billed separately
Hepatitis A vaccine,85,10 minutes,Two doses required
Blood test (basic panel),45,10 minutes,Results within three business days
Cholesterol screening,30,10 minutes,Fasting for 12 hours required
ECG,70,15 minutes,Interpreted by a cardiologist
Ear wax removal,55,20 minutes,Not covered by insurance
Wart removal (cryotherapy),65,15 minutes,Up to three warts per session
Stitches removal,40,10 minutes,Free if the stitches were placed here
Medical certificate,25,none,Issued within one business day
Driver's license medical form,80,30 minutes,Vision test included
Missed appointment fee,40,none,Charged when cancelling with less than 24 hours notice
Copy of medical records,15,none,Electronic copies are free
"""

POLICY_SECTIONS = [
    (
        "1. Cancellation and missed appointments",
        "Appointments cancelled with less than 24 hours notice, or missed without notice, incur "
        "a fee of 40 dollars. After three missed appointments in twelve months, a patient may "
        "only book same-day slots.",
    ),
    (
        "2. Late arrival",
        "Patients arriving more than 15 minutes late may be asked to reschedule so that other "
        "patients are not delayed. The clinic will always see urgent cases.",
    ),
    (
        "3. Payment",
        "Payment for services not covered by insurance is due at the time of the visit. We "
        "accept credit and debit cards, cash, and health savings account cards. Cheques are "
        "no longer accepted.",
    ),
    (
        "4. Insurance billing",
        "We bill your insurer directly for covered services. Any co-payment is collected at "
        "check-in. Claims rejected by the insurer become the patient's responsibility after 60 "
        "days.",
    ),
    (
        "5. Privacy of health information",
        "Your records are stored securely and only shared with your consent or where the law "
        "requires. You may request a log of everyone who has accessed your file.",
    ),
    (
        "6. Minors",
        "Patients under 16 must be accompanied by a parent or legal guardian, except for "
        "confidential sexual health consultations as permitted by state law.",
    ),
    (
        "7. Behaviour on the premises",
        "Abusive or threatening behaviour towards staff or other patients is not tolerated and "
        "may result in removal from the practice.",
    ),
    (
        "8. Complaints",
        "Complaints can be made in writing to the practice manager or through the feedback form "
        "on our website. We acknowledge every complaint within five working days.",
    ),
    (
        "9. Repeat prescriptions",
        "Repeat prescriptions are issued for up to three months at a time. Patients on long-term "
        "medication must have a medication review at least once a year.",
    ),
    (
        "10. Service animals",
        "Trained service animals are welcome in all areas of the clinic. Pets are not allowed "
        "inside the building.",
    ),
]

# (question, phrase found in exactly one answer chunk)
QUESTIONS: list[tuple[str, str]] = [
    ("what time do you close on weekdays", "7:30 am to 7 pm"),
    ("are you open on sunday", "7:30 am to 7 pm"),
    ("how can I make an appointment", "patient portal, by phone on 555-0142"),
    ("can I just come in without booking", "Walk-ins are welcome"),
    ("what documents do I need for my first appointment", "photo ID"),
    ("where do patients leave their cars", "underground garage"),
    ("can someone in a wheelchair get into the building", "has a ramp"),
    ("I need more of my regular medicine, do I have to come in", "Refill requests"),
    ("can I see the doctor over video", "Video consultations are available"),
    ("how long until my blood work results are ready", "Lab results are posted"),
    ("do you give shots to kids", "pediatric team"),
    ("does anyone there speak spanish", "Vietnamese and Arabic"),
    ("can I choose which physician I see", "preferred physician"),
    ("how do I move my files from my old doctor", "records release form"),
    ("is there a drugstore in the building", "independent pharmacy"),
    ("how much is a normal doctor visit", "Standard consultation"),
    ("price of a longer appointment for several problems", "Extended consultation"),
    ("what does a video visit cost", "Telehealth video visit"),
    ("how much for a yearly checkup", "Annual physical exam"),
    ("cost of a physical for my kid's soccer team", "Sports physical"),
    ("how much is the flu shot", "Service: Flu vaccine;"),
    (
        "I am traveling abroad and need vaccines, what does the consult cost",
        "Travel vaccination consultation",
    ),
    ("price for hep A vaccination", "Hepatitis A vaccine"),
    ("how much is basic bloodwork", "Blood test (basic panel)"),
    ("do I need to fast for the cholesterol test", "Cholesterol screening"),
    ("what does a heart tracing cost", "ECG"),
    ("can you clean out my ears and how much", "Ear wax removal"),
    ("how much to freeze off a wart", "Wart removal"),
    ("getting my stitches taken out, what's the fee", "Stitches removal"),
    ("I need a sick note for work, how much", "Medical certificate"),
    ("medical form for my driving licence price", "Driver's license medical form"),
    ("how much do you charge for a no-show", "Missed appointment fee"),
    ("what happens if I skip several appointments", "After three missed appointments"),
    ("I'm running 20 minutes late, will I still be seen", "more than 15 minutes late"),
    ("which payment methods do you take", "health savings account cards"),
    ("can I pay by cheque", "health savings account cards"),
    ("do you send the bill to my insurance company", "bill your insurer directly"),
    ("who pays if insurance refuses the claim", "Claims rejected by the insurer"),
    ("who can see my medical records", "records are stored securely"),
    ("can my 14 year old come to an appointment alone", "Patients under 16"),
    ("what if a patient is rude to the receptionist", "Abusive or threatening behaviour"),
    ("how do I file a complaint", "practice manager"),
    ("how long does a repeat prescription last", "Repeat prescriptions are issued"),
    ("can I bring my guide dog", "service animals"),
    ("can I bring my cat to the appointment", "service animals"),
    ("when do you release same-day appointments", "Same-day slots are released"),
    ("how long is the wait for walk-ins during flu season", "Walk-ins are welcome"),
    ("do you have an interpreter for other languages", "Interpreters for other"),
    ("is the pharmacy open in the evening", "independent pharmacy"),
    ("when are vaccination clinics held", "Vaccination clinics run every"),
]
